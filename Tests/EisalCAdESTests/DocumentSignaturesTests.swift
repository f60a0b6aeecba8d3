// A document's signature entries turned into the platform's `Signature.*` errors, and the digest
// explainer naming the serialization a signer used instead of ETA's.

import Crypto
import EisalCAdES
import EisalCore
import Foundation
import SwiftASN1
import Testing
import X509

@Suite("DocumentSignatures: a document's signatures as errors")
struct DocumentSignaturesTests {
    static let document = #"{"issuer":{"type":"B","id":"100000001","name":"Eisal Test"},"documentType":"i","documentTypeVersion":"1.0","dateTimeIssued":"2026-11-29T10:00:00Z","totalAmount":114.00}"#

    static func seal(rin: String) throws -> (CAdESSigner, TrustStore) {
        let caKey = P256.Signing.PrivateKey(), key = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("Test CA") }
        let now = Date(timeIntervalSince1970: 1_764_000_000) // 2025-11-24: both valid on the document's date
        let ca = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey), notValidBefore: now, notValidAfter: now + 3 * 365 * 86400,
                                 issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
                                 extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0)) }, issuerPrivateKey: .init(caKey))
        let subject = try DistinguishedName([RelativeDistinguishedName(RelativeDistinguishedName.Attribute(type: [2, 5, 4, 97], utf8String: "VATEG-\(rin)"))])
        let leaf = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now, notValidAfter: now + 2 * 365 * 86400,
                                   issuer: caName, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions(), issuerPrivateKey: .init(caKey))
        return (try CAdESSigner(certificate: leaf, key: SoftwareSigningKey(key)), TrustStore(anchors: [ca]))
    }

    func errors(_ signature: String?, extra: String = "", trust: TrustStore) throws -> [ETAError] {
        let entry = signature.map { #"{"signatureType":"I","value":"\#($0)"}"# } ?? ""
        let text = Self.document.dropLast() + #","signatures":[\#(entry)\#(extra)]}"#
        let node = try JSONParser().parse(Array(text.utf8)).root
        return DocumentSignatures(verifier: CAdESVerifier(trust: trust)).errors(for: node, fallbackDate: Date())
    }

    @Test("a signature over names not upper-cased: DigestMismatch naming that mistake and its fix")
    func digestMismatchIsExplained() throws {
        let (signer, trust) = try Self.seal(rin: "100000001")
        let node = try JSONParser().parse(Array(Self.document.utf8)).root
        #expect(try errors(try signer.signBase64(Array(DocumentUUID.canonicalText(node).utf8)), trust: trust).isEmpty)
        let wrong = #""issuer""type""B""id""100000001""name""Eisal Test""documentType""i""documentTypeVersion""1.0""dateTimeIssued""2026-11-29T10:00:00Z""totalAmount""114.00""#
        let found = try errors(try signer.signBase64(Array(wrong.utf8)), trust: trust)
        #expect(found.map(\.code) == ["Signature.DigestMismatch"])
        #expect(found.first?.propertyPath == "signatures[0].value")
        #expect(found.first?.message.contains(UUIDMistake.namesNotUpperCased.summary) == true, "\(found)")
    }

    @Test("missing, unknown-type and service-provider entries; version 0.9 is not checked")
    func entries() throws {
        let (signer, trust) = try Self.seal(rin: "100000001")
        let node = try JSONParser().parse(Array(Self.document.utf8)).root
        let good = try signer.signBase64(Array(DocumentUUID.canonicalText(node).utf8))
        #expect(try errors(nil, trust: trust).map(\.code) == ["Signature.IssuerMissing"])
        #expect(try errors(good, extra: #",{"signatureType":"X","value":"abc"}"#, trust: trust).map(\.code) == ["Signature.UnknownType"])
        // A service provider's signature need not name the issuer's RIN, but must verify.
        let (provider, _) = try Self.seal(rin: "900000009")
        let providerSignature = try provider.signBase64(Array(DocumentUUID.canonicalText(node).utf8))
        let bad = try errors(good, extra: #",{"signatureType":"S","value":"\#(providerSignature)"}"#, trust: trust)
        #expect(bad.map(\.code) == ["Signature.ServiceProviderInvalid"]) // its CA is not trusted here
        #expect(bad.first?.details?.map(\.code) == ["Signature.UntrustedChain"])
        let version09 = try JSONParser().parse(Array(Self.document.replacingOccurrences(of: #""1.0""#, with: #""0.9""#).utf8)).root
        #expect(DocumentSignatures(verifier: CAdESVerifier(trust: trust)).errors(for: version09, fallbackDate: Date()).isEmpty)
    }
}
