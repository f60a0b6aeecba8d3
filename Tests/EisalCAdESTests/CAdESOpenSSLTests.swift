// The verifier against signatures made by openssl (an independent CMS implementation), and the
// project's signer checked by openssl: every failure kind the issue names, each with its error.

import EisalCAdES
import EisalCore
import Foundation
import Testing
import X509

@Suite("CAdES-BES against openssl", .serialized)
struct CAdESOpenSSLTests {
    static let rin = "100000001"
    /// A short ETA document; its canonical text (without signatures) is what is signed.
    static let document = #"{"issuer":{"type":"B","id":"100000001","name":"Eisal Test"},"documentType":"i","documentTypeVersion":"1.0","dateTimeIssued":"2026-11-29T10:00:00Z","totalAmount":114.00}"#
    static var canonical: [UInt8] {
        Array(DocumentUUID.canonicalText(try! JSONParser().parse(Array(document.utf8)).root).utf8)
    }

    func lab() throws -> (OpenSSLLab, TrustStore) {
        let lab = try OpenSSLLab("openssl")
        try lab.root("root")
        try lab.issue("intermediate", by: "root", subject: "/CN=Eisal Test Sealing CA/O=Eisal tests", profile: "ca", days: 1800)
        try lab.issue("seal-rsa", by: "intermediate", subject: OpenSSLLab.sealSubject(rin: Self.rin))
        try lab.issue("seal-p256", by: "intermediate", subject: OpenSSLLab.sealSubject(rin: Self.rin), kind: .p256)
        try lab.issue("seal-p384", by: "intermediate", subject: OpenSSLLab.sealSubject(rin: Self.rin), kind: .p384)
        return (lab, try TrustStore(pemPaths: [lab.file("root.pem")]))
    }

    func verify(_ der: [UInt8], content: [UInt8] = canonical, trust: TrustStore, at date: Date = Date(), rin: String? = rin) -> CAdESReport {
        CAdESVerifier(trust: trust).verify(Data(der).base64EncodedString(), content: SignedContent(bytes: content), at: date, rin: rin)
    }

    func kinds(_ report: CAdESReport) -> [CAdESError.Kind] { report.failures.map(\.kind) }

    @Test("openssl signatures verify: RSA, RSA-PSS, P-256, P-384; detached and not; SHA-256 and SHA-384")
    func opensslSignaturesVerify() throws {
        let (lab, trust) = try lab()
        defer { lab.directory.remove() }
        let cases: [(signer: String, detached: Bool, md: String, keyopts: [String])] = [
            ("seal-rsa", true, "sha256", []), ("seal-rsa", false, "sha256", []), ("seal-rsa", true, "sha512", []),
            ("seal-rsa", true, "sha256", ["rsa_padding_mode:pss", "rsa_pss_saltlen:digest"]),
            ("seal-p256", true, "sha256", []), ("seal-p256", false, "sha256", []), ("seal-p384", true, "sha384", []),
        ]
        for c in cases {
            let der = try lab.sign(Self.canonical, signer: c.signer, chain: "intermediate", detached: c.detached, md: c.md, keyopts: c.keyopts)
            let report = verify(der, trust: trust)
            #expect(report.isValid, "\(c): \(report.failures)")
            #expect(report.signerCertificate?.subject.description.contains("VATEG-\(Self.rin)") == true)
        }
    }

    @Test("one byte of the document changed: digest mismatch, and nothing else")
    func oneByteChanged() throws {
        let (lab, trust) = try lab()
        defer { lab.directory.remove() }
        let der = try lab.sign(Self.canonical, signer: "seal-rsa", chain: "intermediate")
        var changed = Self.canonical
        changed[changed.count - 3] ^= 0x01
        let report = verify(der, content: changed, trust: trust)
        #expect(kinds(report) == [.digestMismatch])
        // Encapsulated (-nodetach) content that is not the document is a digest mismatch too.
        let attached = try lab.sign(changed, signer: "seal-rsa", chain: "intermediate", detached: false)
        #expect(kinds(verify(attached, trust: trust)).contains(.digestMismatch))
    }

    @Test("a certificate of another RIN: RIN mismatch naming both numbers")
    func anotherRIN() throws {
        let (lab, trust) = try lab()
        defer { lab.directory.remove() }
        try lab.issue("other", by: "intermediate", subject: OpenSSLLab.sealSubject(rin: "200000002"))
        let report = verify(try lab.sign(Self.canonical, signer: "other", chain: "intermediate"), trust: trust)
        #expect(kinds(report) == [.rinMismatch])
        #expect(report.failures.first?.message.contains("200000002") == true)
        #expect(report.failures.first?.message.contains(Self.rin) == true)
    }

    @Test("an untrusted CA, a missing intermediate, a self-signed seal: untrusted chain")
    func untrusted() throws {
        let (lab, trust) = try lab()
        defer { lab.directory.remove() }
        try lab.root("rogue")
        try lab.issue("rogue-seal", by: "rogue", subject: OpenSSLLab.sealSubject(rin: Self.rin))
        #expect(kinds(verify(try lab.sign(Self.canonical, signer: "rogue-seal", chain: "rogue"), trust: trust)) == [.untrustedChain])
        // Without the intermediate the path cannot be built.
        #expect(kinds(verify(try lab.sign(Self.canonical, signer: "seal-rsa"), trust: trust)) == [.untrustedChain])
        // The intermediate as an anchor is enough.
        let intermediateTrust = try TrustStore(pemPaths: [lab.file("intermediate.pem")])
        #expect(verify(try lab.sign(Self.canonical, signer: "seal-rsa"), trust: intermediateTrust).isValid)
        // No anchor at all (production with none configured).
        #expect(kinds(verify(try lab.sign(Self.canonical, signer: "seal-rsa", chain: "intermediate"), trust: TrustStore(anchors: []))) == [.untrustedChain])
    }

    @Test("a certificate expired or not yet valid at dateTimeIssued")
    func validityAtTheDocumentsDate() throws {
        let (lab, trust) = try lab()
        defer { lab.directory.remove() }
        try lab.issue("short", by: "intermediate", subject: OpenSSLLab.sealSubject(rin: Self.rin), days: 1)
        let der = try lab.sign(Self.canonical, signer: "short", chain: "intermediate")
        #expect(verify(der, trust: trust).isValid)
        #expect(kinds(verify(der, trust: trust, at: Date().addingTimeInterval(3 * 86400))) == [.certificateExpired])
        #expect(kinds(verify(der, trust: trust, at: Date().addingTimeInterval(-3 * 86400))) == [.certificateNotYetValid])
    }

    @Test("a tampered signed attribute: the signature no longer verifies")
    func tamperedSignedAttribute() throws {
        let (lab, trust) = try lab()
        defer { lab.directory.remove() }
        for signer in ["seal-rsa", "seal-p256"] {
            var der = try lab.sign(Self.canonical, signer: signer, chain: "intermediate")
            // The signing time is a UTCTime "YYMMDDHHMMSSZ" inside the signed attributes: change a digit of its seconds.
            let marker: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05] // OID signingTime
            let at = try #require(Self.find(marker, in: der))
            let secondsDigit = at + marker.count + 2 + 2 + 11 // SET header, UTCTime header, YYMMDDHHMMS
            der[secondsDigit] = der[secondsDigit] == 0x30 ? 0x31 : 0x30
            #expect(kinds(verify(der, trust: trust)) == [.signatureInvalid], "\(signer)")
        }
    }

    @Test("PSS with openssl's default maximal salt is refused with a clear message")
    func pssMaximalSalt() throws {
        let (lab, trust) = try lab()
        defer { lab.directory.remove() }
        let report = verify(try lab.sign(Self.canonical, signer: "seal-rsa", chain: "intermediate", keyopts: ["rsa_padding_mode:pss"]), trust: trust)
        #expect(kinds(report) == [.unsupportedAlgorithm])
        #expect(report.failures.first?.message.contains("salt") == true)
    }

    @Test("the project's signer verifies with openssl cms -verify and with the verifier, for both content types and every key kind")
    func projectSignerInteroperates() throws {
        let (lab, trust) = try lab()
        defer { lab.directory.remove() }
        let intermediate = try Certificate(pemEncoded: try lab.text("intermediate.pem"))
        for (name, pss) in [("seal-rsa", false), ("seal-rsa", true), ("seal-p256", false), ("seal-p384", false)] {
            let certificate = try Certificate(pemEncoded: try lab.text("\(name).pem"))
            let key = try SoftwareSigningKey(pem: try lab.text("\(name).key"), pss: pss)
            for contentType in [CAdESSigner.ContentType.digestedData, .data] {
                var signer = try CAdESSigner(certificate: certificate, chain: [intermediate], key: key)
                signer.contentType = contentType
                let der = try signer.sign(Self.canonical)
                let output = try lab.verify(der, content: Self.canonical, caFile: lab.file("root.pem"))
                #expect(output.contains("Verification successful"), "\(name) pss=\(pss) \(contentType): \(output)")
                #expect(verify(der, trust: trust).isValid, "\(name) pss=\(pss) \(contentType)")
            }
        }
        // A key that is not the certificate's is refused before signing.
        let other = try SoftwareSigningKey(pem: try lab.text("seal-p256.key"))
        #expect(throws: CAdESError.self) { try CAdESSigner(certificate: try Certificate(pemEncoded: try lab.text("seal-rsa.pem")), key: other) }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
