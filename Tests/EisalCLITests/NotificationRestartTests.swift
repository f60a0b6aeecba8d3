import AsyncHTTPClient
import EisalCore
import EisalKit
import EisalReceiverTestSupport
import EisalStore
import EisalStoreSQLite
import EisalTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `kill -9` of the platform in the middle of delivering notifications (issue 16): after a restart
/// on the same file every receipt's notification reaches the receiver's handler exactly once.
@Suite("Notifications survive kill -9 (real process, real receiver)")
struct NotificationRestartTests {
    static let environment = [
        "EISAL_NOTIFY_RETRY_INITIAL_MS": "100", "EISAL_NOTIFY_RETRY_MAX_MS": "400", "EISAL_NOTIFY_RETRY_ATTEMPTS": "200",
        "EISAL_NOTIFY_BATCH_SIZE": "20", "EISAL_RATE_LIMITS": "off",
    ]


    @Test func killedMidDispatchEveryNotificationIsHandledExactlyOnceAfterTheRestart() async throws {
        let temporary = try TemporaryDirectory("notify-kill")
        defer { temporary.remove() }
        let database = temporary.file("eisal.sqlite")
        let receiver = TestReceiver(apiKey: "kill-test-key-0123456789", rins: ["100000001"], inboxPath: temporary.file("inbox.sqlite"))
        // 20 ms per notification: a delivery of 20 takes 0.4 s, so the kill lands mid-dispatch.
        receiver.setHandlerDelay(.milliseconds(20))
        try await receiver.run {
            let first = try ServerProcess(arguments: ["--database", database], environment: Self.environment)
            #expect(first.port > 0)
            let credentials = try JSONNodeDecoder().decode([IssuedCredentialsView].self, from: try JSONParser().parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: temporary.file("demo-credentials.json"))))).root)
            let erp = try await HTTPCalls.token(first.base, try #require(credentials.first { $0.posSerial == nil }))
            let pos = try await HTTPCalls.token(first.base, try #require(credentials.first { $0.posSerial != nil }))
            let (registered, _) = try await HTTPCalls.call(.PUT, first.base + "/eisal/callback", headers: [("Authorization", "Bearer \(erp)"), ("Content-Type", "application/json")],
                                                 body: Array(#"{"url":"\#(receiver.url)","apiKey":"kill-test-key-0123456789"}"#.utf8))
            #expect(registered == 200)

            var previous = ""
            var accepted: [String] = []
            let issued = UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60)
            for s in 0 ..< 2 {
                var receipts: [BuiltReceipt] = []
                for n in 0 ..< 100 {
                    let built = try ReceiptBuilder(header: ReceiptHeader(dateTimeIssued: issued.iso8601, receiptNumber: "N-\(s)-\(n)", previousUUID: previous),
                                                   seller: ReceiptExamples.demoSeller(), lines: ReceiptExamples.saleLines()).build()
                    previous = built.uuid
                    receipts.append(built)
                }
                let body = Array(#"{"receipts":["#.utf8) + receipts.map(\.json).joined(separator: [UInt8(ascii: ",")]) + Array("]}".utf8)
                let (code, response) = try await HTTPCalls.call(.POST, first.base + "/api/v1/receiptsubmissions", headers: [("Authorization", "Bearer \(pos)"), ("Content-Type", "application/json")], body: body)
                #expect(code == 202)
                accepted += response["acceptedDocuments"]?.elements.compactMap { $0["uuid"]?.string } ?? []
            }
            #expect(accepted.count == 200)
            // Kill once some notifications were handled: the rest are pending or in flight.
            let deadline = ContinuousClock.now + .seconds(60)
            while receiver.handled.count < 30, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            first.kill()
            let handledAtKill = receiver.handled.count
            #expect(handledAtKill >= 30 && handledAtKill < 200, "the kill landed mid-dispatch (\(handledAtKill) handled)")

            let second = try ServerProcess(arguments: ["--database", database], environment: Self.environment)
            defer { second.stop() }
            let store = try SQLiteStore(path: database)
            let recovered = ContinuousClock.now + .seconds(90)
            while ContinuousClock.now < recovered {
                let open = try await store.deliveries(recipientRIN: nil, state: .open, pageNo: 1, pageSize: 1).totalCount
                if receiver.handled.count >= 200, open == 0, try await store.undeliveredNotificationCount() == 0 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            // What the platform decided, from its file.
            var statuses: [String: String] = [:]
            for uuid in accepted { statuses[uuid] = try await store.receipt(uuid: uuid)?.status.rawValue }
            let byUUID = Dictionary(grouping: receiver.handled, by: { $0.uuid ?? "" })
            #expect(byUUID.count == 200 && receiver.handled.count == 200, "\(receiver.handled.count) handled for \(byUUID.count) receipts")
            for (uuid, status) in statuses {
                #expect(byUUID[uuid]?.count == 1, "receipt \(uuid) handled \(byUUID[uuid]?.count ?? 0) times")
                #expect(byUUID[uuid]?.first?.status == status)
            }
            #expect(try await store.undeliveredNotificationCount() == 0)
        }
    }
}
