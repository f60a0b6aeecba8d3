// A real document signed by ETA's reference signer with a real MCDR 2019 seal (Fixtures/eta/SOURCES.md):
// the project's canonical text equals the signer tool's, and the signature verifies at the
// document's date with MCDR 2019 as the anchor, the reference signer's quirks included.

import EisalCAdES
import EisalCore
import Foundation
import Testing
import X509

@Suite("CAdES-BES: a real ETA-signed document")
struct CAdESRealSampleTests {
    static func fixture(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/eta/\(name)", withExtension: nil))
        return try Data(contentsOf: url)
    }

    static func sample() throws -> (node: JSONNode, canonical: String, signature: String, issued: Date) {
        let json = try fixture("trigger-mcdr2019-LCG39602-1.json")
        let node = try JSONParser().parse(Array(json)).root
        let canonical = String(decoding: try fixture("trigger-mcdr2019-LCG39602-1.canonical.txt"), as: UTF8.self)
        let signature = try #require(node["signatures"]?.elements.first?["value"]?.string)
        let issuedText = try #require(node["dateTimeIssued"]?.string)
        let issued = try #require(ISO8601DateFormatter().date(from: issuedText))
        return (node, canonical, signature, issued)
    }

    @Test("the canonical text is the signer tool's, byte for byte")
    func canonicalTextMatches() throws {
        let s = try Self.sample()
        #expect(DocumentUUID.canonicalText(s.node) == s.canonical)
    }

    @Test("the signature verifies at dateTimeIssued with MCDR 2019 as the anchor, for RIN 401648087")
    func verifies() throws {
        let s = try Self.sample()
        let trust = TrustStore(anchors: [try Certificate(pemEncoded: String(decoding: try Self.fixture("cert-MCDR2019-subCA.pem"), as: UTF8.self))])
        let uuid = DocumentUUID.compute(s.node)
        let content = SignedContent(sha256: Self.bytes(hex: uuid), bytes: { Array(s.canonical.utf8) })
        let report = CAdESVerifier(trust: trust).verify(s.signature, content: content, at: s.issued, rin: "401648087")
        #expect(report.isValid, "\(report.failures)")
        #expect(report.checks.map(\.name) == CAdESVerifier.checkNames)
        // The reference signer's quirk was met and named.
        let attribute = report.checks.first { $0.name == "signing certificate attribute" }
        guard case .passed(let detail) = attribute?.outcome else { Issue.record("signing certificate attribute did not pass"); return }
        #expect(detail.contains("own OID"))
        // Today the seal has expired; at its date it had not; and without the anchor it is untrusted.
        let today = CAdESVerifier(trust: trust).verify(s.signature, content: content, at: Date(), rin: "401648087")
        #expect(today.failures.map(\.kind) == [.certificateExpired])
        let untrusted = CAdESVerifier(trust: TrustStore(anchors: [])).verify(s.signature, content: content, at: s.issued, rin: "401648087")
        #expect(untrusted.failures.map(\.kind) == [.untrustedChain])
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }
}

@Suite("docs/signatures.md matches the code")
struct SignatureDocsTests {
    @Test func everyErrorCodeIsDocumented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let page = try String(contentsOf: root.appendingPathComponent("docs/signatures.md"), encoding: .utf8)
        for code in DocumentSignatures.codes { #expect(page.contains("`\(code)`"), "\(code) is not in docs/signatures.md") }
        for name in CAdESVerifier.checkNames { #expect(page.contains("| \(name) |"), "check \(name) is not in docs/signatures.md") }
    }
}
