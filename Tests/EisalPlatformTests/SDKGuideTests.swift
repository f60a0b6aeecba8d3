@testable import EisalPlatform
import EisalCore
import EisalKit
import EisalKitReceiver
import EisalReceiverTestSupport
import EisalTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import Testing

/// docs/sdk.md's example is this target's `SDKGuideExample.swift`, and it runs: once with the
/// callback registered (verdicts by callback), once without (the polling fallback).
@Suite("docs/sdk.md: the example compiles, runs and is the page's")
struct SDKGuideTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func block(_ text: String, from begin: String, to end: String) -> String? {
        guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound ..< text.endIndex) else { return nil }
        return String(text[start.upperBound ..< stop.lowerBound]).trimmingCharacters(in: .newlines)
    }

    @Test func thePageShowsExactlyTheCompiledExample() throws {
        let source = try String(contentsOf: Self.root.appendingPathComponent("Tests/EisalPlatformTests/SDKGuideExample.swift"), encoding: .utf8)
        let page = try String(contentsOf: Self.root.appendingPathComponent("docs/sdk.md"), encoding: .utf8)
        let example = try #require(Self.block(source, from: "// BEGIN docs/sdk.md example", to: "// END docs/sdk.md example"))
        let shown = try #require(Self.block(page, from: "<!-- BEGIN example -->\n```swift", to: "```\n<!-- END example -->"))
        #expect(shown == example, "docs/sdk.md's example differs from Tests/EisalPlatformTests/SDKGuideExample.swift")
    }

    @Test(arguments: [true, false])
    func theExampleRuns(withCallback: Bool) async throws {
        let directory = try TemporaryDirectory("sdk-guide")
        defer { directory.remove() }
        let ledger = try ReceiptLedger(path: directory.file("ledger.sqlite"))
        let logger = { var l = Logger(label: "erp"); l.logLevel = .error; return l }()
        try await NotificationBed.harness().run(.live) { client, startup in
            let router = Router()
            try mountCallbacks(on: router, apiKey: NotificationBed.apiKey, rin: "100000001", inboxFile: directory.file("inbox.sqlite"), ledger: ledger)
            try await LoopbackServer.run(router, name: "erp", logger: logger) { port in
                if withCallback { try await client.mustRegisterCallback(url: "http://127.0.0.1:\(port)", token: try await client.erpToken(startup.erp)) }
                let pos = startup.pos
                let counts = try await sellAndReport(apiBase: "http://127.0.0.1:\(try #require(client.port))", clientID: pos.clientID, clientSecret: pos.clientSecret,
                                                     posSerial: pos.posSerial!, presharedKey: pos.presharedKey ?? "", chainFile: directory.file("chain.json"),
                                                     ledger: ledger, callbackWait: withCallback ? .seconds(30) : .milliseconds(300))
                #expect(counts == ["Valid": 3])
                #expect(try await ledger.counts().bySource == [withCallback ? "callback" : "poll": 3])
            }
        }
    }
}
