// Hostile signature values: 2,000+ malformed inputs generated from a seeded generator (garbage
// Base64, every truncation of a real signature, huge and indefinite lengths, nesting bombs,
// wrong OIDs, corrupted signature octets). Each must end as a typed failure in the report,
// never a crash, never a pass.

import EisalCAdES
import EisalCore
import EisalTestSupport
import Crypto
import Foundation
import SwiftASN1
import X509
import Testing
import X509

@Suite("CAdES-BES: hostile input")
struct CAdESHostileInputTests {
    @Test("2,000+ malformed signature values each give a typed failure")
    func malformedValues() throws {
        let lab = try OpenSSLLab("hostile")
        defer { lab.directory.remove() }
        try lab.root("root")
        try lab.issue("seal", by: "root", subject: OpenSSLLab.sealSubject(rin: "100000001"))
        let content = Array("\"ISSUER\"\"ID\"\"100000001\"".utf8)
        let valid = try lab.sign(content, signer: "seal")
        let trust = try TrustStore(pemPaths: [lab.file("root.pem")])
        let verifier = CAdESVerifier(trust: trust)
        let signed = SignedContent(bytes: content)
        #expect(verifier.verify(Data(valid).base64EncodedString(), content: signed, at: Date(), rin: "100000001").isValid)

        var random = SeededRandom(seed: 18)
        var values: [String] = []
        func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
        // Every truncation of the real signature.
        for length in 0..<valid.count { values.append(b64(Array(valid.prefix(length)))) }
        // Random bytes, and random bytes behind a SEQUENCE header.
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 1...2048, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            values.append(b64(bytes))
            values.append(b64([0x30, 0x82, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes))
        }
        // Not Base64 at all.
        let alphabet = Array("ABCxyz019+/=-_ .*!\u{0627}\u{00E9}\"\\")
        for _ in 0..<150 { values.append(String((0..<Int.random(in: 1...300, using: &random)).map { _ in alphabet.randomElement(using: &random)! })) }
        values += ["", " ", "=", "====", "ANY", "VGVtcG9yYXJ5IFNpZ25hdHVyZSBIb2xkZXI=", "MIIB-signature", "MIIG+/=="]
        // Huge lengths, indefinite lengths with no end, and nesting bombs.
        for k in 0..<100 {
            let header: [UInt8] = [[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF], [0x30, 0x88, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x30, 0x80], [0x04, 0x84, 0x7F, 0xFF, 0xFF, 0xFF]][k % 4]
            values.append(b64(header + Array(valid.prefix(k * 10))))
        }
        values.append(b64(Array(repeating: [0x30, 0x80], count: 5000).flatMap { $0 }))
        values.append(b64(Array(repeating: [0x30, 0x84, 0x00, 0x00, 0x10, 0x00], count: 2000).flatMap { $0 }))
        // Wrong OIDs: the SignedData OID and the content types replaced.
        let signedDataOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
        for replacement: UInt8 in [0x01, 0x03, 0x04, 0x05, 0x06] {
            var wrong = valid
            if let at = CAdESOpenSSLTests.find(signedDataOID, in: wrong) { wrong[at + signedDataOID.count - 1] = replacement }
            values.append(b64(wrong))
        }
        // Every byte of the signature octets (the tail of the DER) corrupted.
        for back in 1...256 {
            var wrong = valid
            wrong[wrong.count - back] ^= UInt8.random(in: 1...255, using: &random)
            values.append(b64(wrong))
        }
        #expect(values.count >= 2000, "only \(values.count) values")
        var kinds: [String: Int] = [:]
        for value in values {
            let report = verifier.verify(value, content: signed, at: Date(), rin: "100000001")
            #expect(!report.isValid, "passed: \(value.prefix(60))")
            #expect(!report.failures.isEmpty)
            for failure in report.failures { kinds[failure.kind.name, default: 0] += 1 }
        }
        // The failures are spread over the kinds a reader would expect.
        #expect(kinds["malformed", default: 0] > 1000)
        #expect(kinds["signatureInvalid", default: 0] > 100)
    }

    @Test("BER with indefinite lengths (openssl -stream, as BouncyCastle writes) verifies")
    func indefiniteLengthBER() throws {
        let lab = try OpenSSLLab("ber")
        defer { lab.directory.remove() }
        try lab.root("root")
        try lab.issue("seal", by: "root", subject: OpenSSLLab.sealSubject(rin: "100000001"))
        let content = Array("\"ISSUER\"\"ID\"\"100000001\"".utf8)
        try lab.write("content.bin", bytes: content)
        try lab.openssl(["cms", "-sign", "-binary", "-cades", "-stream", "-md", "sha256", "-in", "content.bin", "-signer", "seal.pem", "-inkey", "seal.key", "-outform", "DER", "-out", "ber.der"])
        let ber = try lab.read("ber.der")
        #expect(ber[1] == 0x80, "openssl did not write an indefinite length")
        let report = CAdESVerifier(trust: try TrustStore(pemPaths: [lab.file("root.pem")])).verify(Data(ber).base64EncodedString(), content: SignedContent(bytes: content), at: Date(), rin: "100000001")
        #expect(report.isValid, "\(report.failures)")
    }
}

@Suite("CAdES-BES: encodings real verifiers insist on")
struct CAdESStrictnessTests {
    /// A seal whose serial number has its high bit set: the signer must write it as a positive
    /// INTEGER (a leading 0x00), or openssl (and ETA) cannot find the signer's certificate.
    @Test func aHighBitSerialIsWrittenAsAPositiveIntegerAndOpensslFindsTheSigner() throws {
        let lab = try OpenSSLLab("serial")
        defer { lab.directory.remove() }
        let caKey = P256.Signing.PrivateKey(), key = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("Serial CA") }
        let now = Date()
        let ca = try Certificate(version: .v3, serialNumber: .init(bytes: [0x01]), publicKey: .init(caKey.publicKey), notValidBefore: now - 3600, notValidAfter: now + 86400,
                                 issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
                                 extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0)); Critical(KeyUsage(keyCertSign: true)) },
                                 issuerPrivateKey: .init(caKey))
        let subject = try DistinguishedName([RelativeDistinguishedName(RelativeDistinguishedName.Attribute(type: [2, 5, 4, 97], utf8String: "VATEG-100000001"))])
        let leaf = try Certificate(version: .v3, serialNumber: .init(bytes: [0xC8, 0x74, 0x65, 0x6D, 0x01]), publicKey: .init(key.publicKey), notValidBefore: now - 3600, notValidAfter: now + 86400,
                                   issuer: caName, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                                   extensions: try Certificate.Extensions { Critical(KeyUsage(digitalSignature: true)) }, issuerPrivateKey: .init(caKey))
        try lab.write("ca.pem", try ca.serializeAsPEM().pemString)
        let content = Array("\"ISSUER\"\"ID\"\"100000001\"".utf8)
        let der = try CAdESSigner(certificate: leaf, key: SoftwareSigningKey(key)).sign(content)
        #expect(try lab.verify(der, content: content, caFile: lab.file("ca.pem")).contains("Verification successful"))
        let report = CAdESVerifier(trust: TrustStore(anchors: [ca])).verify(Data(der).base64EncodedString(), content: SignedContent(bytes: content), at: now, rin: "100000001")
        #expect(report.isValid, "\(report.failures)")
    }

    @Test func tooManyCertificatesAreRefusedBeforeAnyChainIsBuilt() throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("Decoy") }
        let now = Date()
        let certificate = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 3600, notValidAfter: now + 86400,
                                          issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions(), issuerPrivateKey: .init(key))
        let content = Array("x".utf8)
        let der = try CAdESSigner(certificate: certificate, chain: Array(repeating: certificate, count: 20), key: SoftwareSigningKey(key)).sign(content)
        let report = CAdESVerifier(trust: TrustStore(anchors: [certificate])).verify(Data(der).base64EncodedString(), content: SignedContent(bytes: content), at: now, rin: nil)
        #expect(report.failures.map(\.kind) == [.malformed])
    }
}
