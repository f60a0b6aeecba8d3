import EisalCore
import EisalKitReceiver
import EisalTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// EisalKit's callback receiver (issue 16, item 6), through a Hummingbird router in process.
@Suite("Callback receiver")
struct CallbackReceiverTests {
    static let key = "receiver-key-0123456789"

    /// What the handler was given; it throws for the positions in `failing` (once each).
    final class Handled: Sendable {
        let items = Mutex<[ReceivedNotification]>([])
        let failing: Mutex<Set<Int>>
        init(failing: Set<Int> = []) { self.failing = Mutex(failing) }

        func handle(_ n: ReceivedNotification) throws {
            if failing.withLock({ $0.remove(n.index) }) != nil { throw CancellationError() }
            items.withLock { $0.append(n) }
        }
        var all: [ReceivedNotification] { items.withLock { $0 } }
    }

    static func app(inbox: String, handled: Handled, base: String = "") throws -> some ApplicationProtocol {
        let receiver = CallbackReceiver(configuration: .init(apiKey: key, rins: ["100000001"]), inbox: try SQLiteNotificationInbox(path: inbox)) { n in try handled.handle(n) }
        let router = Router()
        if base.isEmpty { receiver.register(on: router) } else { receiver.register(on: router.group(RouterPath(base))) }
        return Application(router: router)
    }

    static func put(_ client: some TestClientProtocol, _ path: String, _ body: String, key: String? = CallbackReceiverTests.key) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json", .acceptLanguage: "ar"]
        if let key { headers[.authorization] = "ApiKey \(key)" }
        return try await client.execute(uri: path, method: .put, headers: headers, body: ByteBuffer(string: body))
    }

    static func delivery(_ id: String, count: Int, numberKey: String = "receiptNumber", type: String = "receipt") -> String {
        let messages = (0 ..< count).map { #"{"type":"\#(type)-validated","uuid":"u\#($0)","submissionUUID":"S","longId":"L","\#(numberKey)":"N-\#($0)","status":"Valid"}"# }
        return #"{"deliveryId":"\#(id)","type":"\#(type)","count":\#(count),"message":[\#(messages.joined(separator: ","))]}"#
    }

    @Test func pingEchoesTheRINOnlyWithTheKeyAndForItsOwnTaxpayers() async throws {
        let directory = try TemporaryDirectory("receiver-ping")
        defer { directory.remove() }
        try await Self.app(inbox: directory.file("inbox.sqlite"), handled: Handled()).test(.router) { client async throws -> Void in
            var response = try await Self.put(client, "/ping", #"{"rin":"100000001"}"#)
            #expect(response.status == .ok && String(buffer: response.body) == #"{"rin":"100000001"}"#)
            response = try await Self.put(client, "/ping", #"{"rin":"200000002"}"#)
            #expect(response.status == .badRequest)
            response = try await Self.put(client, "/ping", #"{"rin":"100000001"}"#, key: "wrong")
            #expect(response.status == .unauthorized)
            response = try await Self.put(client, "/ping", #"{"rin":"100000001"}"#, key: nil)
            #expect(response.status == .unauthorized)
            response = try await Self.put(client, "/ping", #"{"rin":"100000001"}"#, key: Self.key + "x")
            #expect(response.status == .unauthorized)
            response = try await Self.put(client, "/ping", "not json")
            #expect(response.status == .badRequest)
        }
    }

    @Test func everyPathNeedsTheKey() async throws {
        let directory = try TemporaryDirectory("receiver-key")
        defer { directory.remove() }
        let handled = Handled()
        try await Self.app(inbox: directory.file("inbox.sqlite"), handled: handled).test(.router) { client async throws -> Void in
            for path in ["/notifications/receipts", "/notifications/documents", "/notifications"] {
                let response = try await Self.put(client, path, Self.delivery("D-\(path)", count: 1), key: "ApiKey-but-wrong")
                #expect(response.status == .unauthorized)
            }
            // The scheme is case-insensitive; the key is not.
            let lower = try await client.execute(uri: "/notifications/receipts", method: .put, headers: [.authorization: "apikey \(Self.key)"], body: ByteBuffer(string: Self.delivery("D1", count: 1)))
            #expect(lower.status == .ok)
            let upper = try await client.execute(uri: "/notifications/receipts", method: .put, headers: [.authorization: "ApiKey \(Self.key.uppercased())"], body: ByteBuffer(string: Self.delivery("D2", count: 1)))
            #expect(upper.status == .unauthorized)
        }
        #expect(handled.all.map(\.deliveryId) == ["D1"])
    }

    /// A delivery is handed over once, also after a restart (a new receiver on the same inbox).
    @Test func aDeliveryIsHandledOnceAcrossRetriesAndRestarts() async throws {
        let directory = try TemporaryDirectory("receiver-dedup")
        defer { directory.remove() }
        let handled = Handled()
        try await Self.app(inbox: directory.file("inbox.sqlite"), handled: handled).test(.router) { client async throws -> Void in
            #expect(try await Self.put(client, "/notifications/receipts", Self.delivery("D1", count: 3)).status == .ok)
            #expect(try await Self.put(client, "/notifications/receipts", Self.delivery("D1", count: 3)).status == .ok)
        }
        try await Self.app(inbox: directory.file("inbox.sqlite"), handled: handled).test(.router) { client async throws -> Void in
            #expect(try await Self.put(client, "/notifications/receipts", Self.delivery("D1", count: 3)).status == .ok)
            #expect(try await Self.put(client, "/notifications/receipts", Self.delivery("D2", count: 2)).status == .ok)
        }
        #expect(handled.all.map { "\($0.deliveryId)/\($0.index)" } == ["D1/0", "D1/1", "D1/2", "D2/0", "D2/1"])
        #expect(try await SQLiteNotificationInbox(path: directory.file("inbox.sqlite")).messageCount() == 5)
    }

    /// The handler fails on a message: 500, and the retry hands over only what was not handled.
    @Test func aFailingHandlerGets500AndTheRetryResumesWhereItFailed() async throws {
        let directory = try TemporaryDirectory("receiver-fail")
        defer { directory.remove() }
        let handled = Handled(failing: [2])
        try await Self.app(inbox: directory.file("inbox.sqlite"), handled: handled).test(.router) { client async throws -> Void in
            let failed = try await Self.put(client, "/notifications/documents", Self.delivery("D1", count: 4, numberKey: "internalId", type: "document"))
            #expect(failed.status == .internalServerError)
            #expect(handled.all.map(\.index) == [0, 1])
            #expect(try await Self.put(client, "/notifications/documents", Self.delivery("D1", count: 4, numberKey: "internalId", type: "document")).status == .ok)
        }
        #expect(handled.all.map(\.index) == [0, 1, 2, 3])
        #expect(handled.all.map(\.number) == ["N-0", "N-1", "N-2", "N-3"], "internalId is the number of a document")
        #expect(handled.all.allSatisfy { $0.channel == .documents && $0.deliveryType == "document" && $0.declaredCount == 4 && $0.deliverySize == 4 })
    }

    /// Real senders vary: unknown fields, `internalId` on receipts, one message as an object, a
    /// general notification without an envelope; all accepted, the JSON kept as received.
    @Test func whatRealSendersSendIsAccepted() async throws {
        let directory = try TemporaryDirectory("receiver-lenient")
        defer { directory.remove() }
        let handled = Handled()
        try await Self.app(inbox: directory.file("inbox.sqlite"), handled: handled, base: "erp/callbacks").test(.router) { client async throws -> Void in
            let extra = #"{"deliveryId":"E1","type":"receipt","count":1,"extra":{"a":[1,2]},"message":[{"type":"receipt-validated","uuid":"u","internalId":"I-7","status":"Invalid","newField":1.50}]}"#
            #expect(try await Self.put(client, "/erp/callbacks/notifications/receipts", extra).status == .ok)
            let single = #"{"deliveryId":"E2","type":"receipt","count":1,"message":{"type":"receipt-cancelled","uuid":"v","receiptNumber":"R-9","status":"Cancelled"}}"#
            #expect(try await Self.put(client, "/erp/callbacks/notifications/receipts", single).status == .ok)
            let general = #"{"Id":"POS-No-123","Type":"POS Device Deactivated"}"#
            #expect(try await Self.put(client, "/erp/callbacks/notifications", general).status == .ok)
            #expect(try await Self.put(client, "/erp/callbacks/notifications", general).status == .ok, "the same general notification again")
            let mismatch = #"{"deliveryId":"E3","type":"receipt","count":5,"message":[{"type":"receipt-validated","uuid":"w","status":"Valid"}]}"#
            #expect(try await Self.put(client, "/erp/callbacks/notifications/receipts", mismatch).status == .ok, "a wrong count is tolerated (and logged)")
            #expect(try await Self.put(client, "/erp/callbacks/notifications/receipts", #"{"type":"receipt","message":[]}"#).status == .badRequest, "no deliveryId")
            #expect(try await Self.put(client, "/erp/callbacks/notifications/receipts", #"{"deliveryId":"E4","message":[1]}"#).status == .badRequest)
            #expect(try await Self.put(client, "/erp/callbacks/notifications/receipts", "[").status == .badRequest)
        }
        let all = handled.all
        #expect(all.count == 4)
        #expect(all[0].number == "I-7" && all[0].status == "Invalid" && all[0].json.contains(#""newField":1.50"#))
        #expect(all[1].number == "R-9" && all[1].type == "receipt-cancelled")
        #expect(all[2].channel == .general && all[2].id == "POS-No-123" && all[2].type == "POS Device Deactivated" && all[2].deliveryId.hasPrefix("sha256:"))
        #expect(all[3].declaredCount == 5 && all[3].deliverySize == 1)
    }
}
