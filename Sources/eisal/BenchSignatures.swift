import _CryptoExtras
import ArgumentParser
import Crypto
import EisalCAdES
import EisalCore
import EisalKit
import Foundation
import SwiftASN1
import X509

extension Bench {
    /// `eisal bench signatures`: the cost of verifying one document's signature as processing
    /// does it (DocumentSignatures.errors with the UUID known), chain cached after the first.
    struct Signatures: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verification cost per signed invoice document (RSA-2048, RSA-PSS, P-256 seals; chain cached).")

        @Option(help: "Distinct signed documents per key kind.") var documents = 2_000
        @Option(help: "Timed rounds over all documents (the best round is reported).") var rounds = 5

        func run() throws {
            let now = Date()
            let issued = UTCDateTime(secondsSinceEpoch: Int64(now.timeIntervalSince1970) - 60)
            // A CA and an intermediate, as real seals have (ETA's chains are root → issuing CA → seal).
            let rootKey = P256.Signing.PrivateKey(), intermediateKey = P256.Signing.PrivateKey()
            let rootName = try DistinguishedName { CommonName("Bench Root") }
            let intermediateName = try DistinguishedName { CommonName("Bench Sealing CA") }
            let root = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(rootKey.publicKey), notValidBefore: now - 86400, notValidAfter: now + 86400 * 365,
                                       issuer: rootName, subject: rootName, signatureAlgorithm: .ecdsaWithSHA256,
                                       extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) }, issuerPrivateKey: .init(rootKey))
            let intermediate = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(intermediateKey.publicKey), notValidBefore: now - 86400, notValidAfter: now + 86400 * 365,
                                               issuer: rootName, subject: intermediateName, signatureAlgorithm: .ecdsaWithSHA256,
                                               extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0)) }, issuerPrivateKey: .init(rootKey))
            func seal(_ key: some CAdESSigningKey) throws -> Certificate {
                let subject = try DistinguishedName([RelativeDistinguishedName(RelativeDistinguishedName.Attribute(type: [2, 5, 4, 97], utf8String: "VATEG-100000001"))])
                return try Certificate(version: .v3, serialNumber: .init(), publicKey: key.publicKey, notValidBefore: now - 86400, notValidAfter: now + 86400 * 365,
                                       issuer: intermediateName, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                                       extensions: try Certificate.Extensions { Critical(KeyUsage(digitalSignature: true, nonRepudiation: true)) }, issuerPrivateKey: .init(intermediateKey))
            }
            let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let kinds: [(String, any CAdESSigningKey)] = [
                ("RSA-2048 PKCS#1 v1.5", SoftwareSigningKey(rsa)), ("RSA-2048 PSS", SoftwareSigningKey(rsa, pss: true)), ("ECDSA P-256", SoftwareSigningKey(P256.Signing.PrivateKey())),
            ]
            let verifier = DocumentSignatures(verifier: CAdESVerifier(trust: TrustStore(anchors: [root])))
            print("\(documents) signed documents per key kind, \(rounds) rounds; the chain (seal → intermediate → root) is cached after the first verification")
            for (name, key) in kinds {
                let signer = DocumentSigner(signer: try CAdESSigner(certificate: try seal(key), chain: [intermediate], key: key))
                let parsed = try (0 ..< documents).map { n -> (JSONDocument, String) in
                    let text = DocumentExamples.text(internalID: "B-\(n)", issued: issued, scale: 1 + n % 997)
                    let document = try JSONParser().parse(try signer.sign(document: Array(text.utf8)))
                    return (document, DocumentUUID.compute(document.root))
                }
                var best = Duration.seconds(1_000_000)
                var failures = 0
                for _ in 0 ..< rounds {
                    let start = ContinuousClock.now
                    for (document, uuid) in parsed { failures += verifier.errors(for: document.root, uuid: uuid, fallbackDate: now).count }
                    best = min(best, ContinuousClock.now - start)
                }
                guard failures == 0 else { throw ValidationError("\(failures) verification failures") }
                let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
                print(String(format: "%-24@ %8.1f µs/document  %8.0f documents/s per core", name as NSString, seconds / Double(documents) * 1e6, Double(documents) / seconds))
            }
        }
    }
}
