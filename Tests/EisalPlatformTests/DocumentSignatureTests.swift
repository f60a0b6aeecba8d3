@testable import EisalPlatform
import EisalCAdES
import EisalCore
import EisalKit
import EisalTestSupport
import Foundation
import HummingbirdTesting
import Testing

/// Document signatures on the platform (issue 18): verified in processing, one error per
/// failure kind in the document's details, the sandbox CA and its demo seals from start-up.
@Suite("Document signatures on the platform (live server)")
struct DocumentSignatureTests {
    static func unsigned(_ number: String, issuer: String = "100000001") -> String {
        DocumentExamples.text(parties: .init(issuerRIN: issuer, receiverRIN: DocumentFlowTests.buyerRIN), internalID: number, issued: DocumentFlowTests.now())
    }

    /// `text` signed by a seal of `authority` issued at `now` for `rin`.
    static func sign(_ text: String, authority: SandboxSigningAuthority, rin: String, now: Date = Date()) throws -> String {
        let seal = try authority.seal(rin: rin, name: "Seal \(rin)", reissue: true, now: now)
        let signer = try DocumentSigner(certificatePEM: try String(contentsOfFile: seal.certificatePath, encoding: .utf8), keyPEM: try String(contentsOfFile: seal.keyPath, encoding: .utf8))
        return String(decoding: try signer.sign(document: Array(text.utf8)), as: UTF8.self)
    }

    /// The Signature validator step of `uuid`'s details: its status and its errors' codes.
    static func signatureStep(_ client: some TestClientProtocol, _ uuid: String, token: String) async throws -> (status: String?, codes: [String], messages: [String]) {
        let details = try await client.get("/api/v1.0/documents/\(uuid)/details", token: token).json
        let step = details["validationResults"]?["validationSteps"]?.elements.first { $0["name"]?.string == "Signature validator" }
        let errors = step?["error"]?["details"]?.elements ?? []
        return (step?["status"]?.string, errors.compactMap { $0["code"]?.string }, errors.compactMap { $0["message"]?.string })
    }

    @Test func theDemoSealFromStartUpSignsDocumentsTheSandboxAccepts() async throws {
        // No test anchor: only the sandbox CA the platform creates in its data folder.
        try await Harness { $0.signatures.trustAnchorPaths = [] }.run(.live) { client, startup in
            let seal = try #require(startup.seals.first { $0.rin == "100000001" })
            #expect(startup.signingAuthority?.hasSuffix("/signing/ca.pem") == true)
            let signer = try DocumentSigner(pkcs12: Array(try Data(contentsOf: URL(fileURLWithPath: seal.pkcs12Path))), passphrase: seal.pkcs12Passphrase)
            let signed = String(decoding: try signer.sign(document: Array(Self.unsigned("SEAL-1").utf8)), as: UTF8.self)
            // Dated six days before the sandbox (and its CA) first started: still in the window, and verified.
            let earlier = DocumentExamples.text(parties: .init(receiverRIN: DocumentFlowTests.buyerRIN), internalID: "SEAL-2",
                                                issued: UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 6 * 86400))
            let signedEarlier = String(decoding: try signer.sign(document: Array(earlier.utf8)), as: UTF8.self)
            let token = try await client.erpToken(startup.erp)
            let accepted = try await client.submitDocuments([signed, signedEarlier], token: token)
            let uuid = try #require(accepted.json["acceptedDocuments"]?.elements.first?["uuid"]?.string)
            #expect(try await client.pollDocumentSubmission(try #require(accepted.json["submissionId"]?.string), token: token)["overallStatus"]?.string == "Valid")
            #expect(try await Self.signatureStep(client, uuid, token: token).status == "Valid")
        }
    }

    @Test func eachFailureKindIsOneErrorOfTheSignatureStep() async throws {
        let directory = try TemporaryDirectory("signature-kinds")
        defer { directory.remove() }
        let rogue = SandboxSigningAuthority(directory: directory.file("rogue"))
        try await Harness().run(.live) { client, startup in
            let token = try await client.erpToken(startup.erp)
            let good = TestSeals.sign(Self.unsigned("K-0"))
            // A signed document whose signature octets (the end of the CMS) have one byte changed.
            let toTamper = TestSeals.sign(Self.unsigned("K-6"))
            let value = try #require(JSONParser().parse(Array(toTamper.utf8)).root["signatures"]?.elements.first?["value"]?.string)
            var bytes = Array(try #require(Data(base64Encoded: value)))
            bytes[bytes.count - 20] ^= 0x5A
            let tampered = toTamper.replacingOccurrences(of: value, with: Data(bytes).base64EncodedString())
            let cases: [(name: String, text: String, codes: [String])] = [
                ("valid", good, []),
                ("changed after signing", TestSeals.sign(Self.unsigned("K-1")).replacingOccurrences(of: #""internalID":"K-1""#, with: #""internalID":"K-1b""#), ["Signature.DigestMismatch"]),
                ("another taxpayer's seal", String(decoding: try TestSeals.signer(rin: "300000003").sign(document: Array(Self.unsigned("K-2").utf8)), as: UTF8.self), ["Signature.RINMismatch"]),
                ("an untrusted CA", try Self.sign(Self.unsigned("K-3"), authority: rogue, rin: "100000001"), ["Signature.UntrustedChain"]),
                ("an expired certificate", try Self.sign(Self.unsigned("K-4"), authority: TestSeals.authority, rin: "100000001", now: Date().addingTimeInterval(-3 * 365 * 86400)), ["Signature.CertificateExpired"]),
                ("a certificate not yet valid", try Self.sign(Self.unsigned("K-5"), authority: TestSeals.authority, rin: "100000001", now: Date().addingTimeInterval(SandboxSigningAuthority.backdating + 30 * 86400)), ["Signature.CertificateNotYetValid"]),
                ("a tampered signature", tampered, ["Signature.Invalid"]),
                ("garbage", Self.unsigned("K-7").dropLast() + #","signatures":[{"signatureType":"I","value":"MIIB"}]}"#, ["Signature.Malformed"]),
                ("no issuer signature", Self.unsigned("K-8"), ["Signature.IssuerMissing"]),
                ("a bad service-provider signature", String(TestSeals.sign(Self.unsigned("K-9")).dropLast(2)) + #",{"signatureType":"S","value":"bm90IGNtcw=="}]}"#, ["Signature.ServiceProviderInvalid"]),
            ]
            let accepted = try await client.submitDocuments([cases[0].text], token: token)
            #expect(try await client.pollDocumentSubmission(try #require(accepted.json["submissionId"]?.string), token: token)["overallStatus"]?.string == "Valid")
            for c in cases.dropFirst() {
                let response = try await client.submitDocuments([c.text], token: token)
                guard let submission = response.json["submissionId"]?.string, let uuid = response.json["acceptedDocuments"]?.elements.first?["uuid"]?.string else {
                    Issue.record("\(c.name): not accepted at intake: \(response.json)")
                    continue
                }
                _ = try await client.pollDocumentSubmission(submission, token: token)
                let step = try await Self.signatureStep(client, uuid, token: token)
                #expect(step.status == "Invalid", "\(c.name)")
                #expect(step.codes == c.codes, "\(c.name): \(step.codes) \(step.messages)")
                if c.codes == ["Signature.DigestMismatch"] {
                    // The explainer says what the signer hashed: here the document changed after signing.
                    #expect(step.messages.first?.contains("canonical") == true, "\(step.messages)")
                }
            }
        }
    }

    @Test func productionModeHasNoDefaultAnchor() async throws {
        try await Harness { $0.signatures.trustAnchorPaths = []; $0.notifications.mode = .production }.run(.live) { client, startup in
            #expect(startup.signingAuthority == nil && startup.seals.isEmpty)
            let token = try await client.erpToken(startup.erp)
            let accepted = try await client.submitDocuments([TestSeals.sign(Self.unsigned("P-1"))], token: token)
            let uuid = try #require(accepted.json["acceptedDocuments"]?.elements.first?["uuid"]?.string)
            _ = try await client.pollDocumentSubmission(try #require(accepted.json["submissionId"]?.string), token: token)
            #expect(try await Self.signatureStep(client, uuid, token: token).codes == ["Signature.UntrustedChain"])
        }
    }
}
