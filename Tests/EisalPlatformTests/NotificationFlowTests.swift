import EisalCore
import EisalKit
import EisalKitReceiver
import EisalPlatform
import EisalReceiverTestSupport
import EisalTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Notifications end to end (issue 16): a real receiver on loopback, the platform's dispatcher
/// calling it over real HTTP, every assertion on what the receiver's handler got and what the
/// platform logged.
@Suite("Notifications: registration, delivery, the log and replay (real receiver)")
struct NotificationFlowTests {
    @Test func everyReceiptOfTenSubmissionsIsNotifiedExactlyOnceWithItsStatus() async throws {
        let directory = try TemporaryDirectory("notify-e2e")
        defer { directory.remove() }
        let receiver = NotificationBed.receiver(directory)
        try await receiver.run {
            try await NotificationBed.harness().run { client, startup in
                let erp = try await client.erpToken(startup.erp)
                let registered = try await client.registerCallback(url: receiver.url, language: "ar", token: erp)
                #expect(registered.status == .ok)
                #expect(registered.json["url"]?.string == receiver.url && registered.json["language"]?.string == "ar")

                let pos = try await client.posToken(startup.pos)
                var chain = ReceiptChain()
                var submissions: [String] = []
                for s in 0 ..< 10 {
                    // Every 37th receipt's total is wrong: it ends Invalid.
                    let receipts = try (0 ..< 100).map { k in
                        (s * 100 + k) % 37 == 5 ? try chain.next { $0.totalAmount = ETADecimal($0.totalAmount.value + 5) } : try chain.next()
                    }
                    submissions.append(try await client.submitReceipts(receipts, token: pos))
                }
                let statuses = try await client.finalStatuses(submissions, token: pos)
                #expect(statuses.count == 1000)
                #expect(statuses.values.contains("Invalid") && statuses.values.contains("Valid"))

                try await NotificationBed.waitUntil("1,000 notifications were handled") { receiver.handled.count >= 1000 }
                try await NotificationBed.waitUntil("no delivery is open") { try await client.deliveries(token: erp, status: "Open").isEmpty }
                expectDeliveredExactlyOnce(receiver.handled, statuses: statuses)
                // Batched: far fewer deliveries than notifications, each within the batch size.
                let deliveries = Set(receiver.handled.map(\.deliveryId))
                #expect(deliveries.count < 100, "\(deliveries.count) deliveries")
                #expect(receiver.calls.allSatisfy { $0.authorization == "ApiKey \(NotificationBed.apiKey)" })
                // The issuer's own numbers come back as receiptNumber.
                #expect(receiver.handled.allSatisfy { ($0.number ?? "").hasPrefix("T-") })

                // The documented taxpayer query lists them, delivered, with their attempts.
                let listed = try await client.get("/api/v1.0/notifications/taxpayer?pageNo=1&pageSize=5", token: erp)
                #expect(listed.status == .ok)
                #expect(listed.json["metadata"]?["totalCount"]?.numberLexeme == "1000")
                let first = try #require(listed.json["result"]?.elements.first)
                #expect(first["status"]?.string == "Delivered" && first["typeId"]?.string == "receipt-validated" && first["channel"]?.string == "API")
                #expect(first["address"]?.string == receiver.url + "/notifications/receipts" && first["language"]?.string == "ar")
                #expect(first["deliveryAttempts"]?.elements.first?["httpStatus"]?.numberLexeme == "200")
            }
        }
    }

    @Test func registrationPingsTheERPAndRefusesWhatDoesNotAnswerAsTheContractSays() async throws {
        let directory = try TemporaryDirectory("notify-ping")
        defer { directory.remove() }
        let receiver = NotificationBed.receiver(directory)
        let stranger = NotificationBed.receiver(directory, rin: "200000002")
        try await NotificationBed.harness().run { client, startup in
            let erp = try await client.erpToken(startup.erp)
            try await receiver.run {
                // Ping answers 500.
                receiver.inject([.status(500, body: "maintenance")])
                var response = try await client.registerCallback(url: receiver.url, token: erp)
                #expect(response.status == .unprocessableContent)
                #expect(response.json["error"]?["code"]?.string == "CallbackPingFailed")
                #expect(response.json["error"]?["message"]?.string?.contains("HTTP 500 with 'maintenance'") == true, "\(String(buffer: response.body))")
                // Ping echoes another taxpayer's RIN.
                receiver.inject([.status(200, body: #"{"rin":"999999999"}"#)])
                response = try await client.registerCallback(url: receiver.url, token: erp)
                #expect(response.status == .unprocessableContent)
                #expect(response.json["error"]?["message"]?.string?.contains(#"{"rin": "100000001"}"#) == true, "\(String(buffer: response.body))")
                // The wrong key: the receiver's own 401.
                response = try await client.registerCallback(url: receiver.url, apiKey: "not-the-key", token: erp)
                #expect(response.status == .unprocessableContent)
                #expect(response.json["error"]?["message"]?.string?.contains("HTTP 401") == true)
                // Nothing listens.
                response = try await client.registerCallback(url: "http://127.0.0.1:9", token: erp)
                #expect(response.status == .unprocessableContent)
                #expect(try await client.get("/eisal/callback", token: erp).status == .notFound)
                // Bad fields.
                response = try await client.registerCallback(url: receiver.url, language: "fr", token: erp)
                #expect(response.status == .badRequest && response.json["error"]?["target"]?.string == "language")
                response = try await client.registerCallback(url: "ftp://127.0.0.1/", token: erp)
                #expect(response.status == .badRequest && response.json["error"]?["target"]?.string == "url")
            }
            // An ERP that serves another taxpayer answers Ping with 400.
            try await stranger.run {
                let response = try await client.registerCallback(url: stranger.url, token: erp)
                #expect(response.status == .unprocessableContent)
                #expect(response.json["error"]?["message"]?.string?.contains("HTTP 400") == true)
            }
            try await receiver.run {
                let response = try await client.registerCallback(url: receiver.url + "/", token: erp)
                #expect(response.status == .ok)
                let ping = try #require(receiver.calls.last)
                #expect(ping.path == "/ping" && ping.status == 200 && ping.authorization == "ApiKey \(NotificationBed.apiKey)")
            }
            let shown = try await client.get("/eisal/callback", token: erp)
            #expect(shown.status == .ok && shown.json["url"]?.string == receiver.url)
            #expect(!String(decoding: Array(buffer: shown.body), as: UTF8.self).contains(NotificationBed.apiKey), "the key is never shown")
            // POS tokens cannot register callbacks.
            let pos = try await client.posToken(startup.pos)
            #expect(try await client.registerCallback(url: receiver.url, token: pos).status == .forbidden)
            #expect(try await client.execute(uri: "/eisal/callback", method: .delete, headers: [.authorization: "Bearer \(erp)"]).status == .noContent)
            #expect(try await client.get("/eisal/callback", token: erp).status == .notFound)
        }
    }

    @Test func theAPIKeyIsNotInTheDatabaseInClear() async throws {
        let directory = try TemporaryDirectory("notify-seal")
        defer { directory.remove() }
        let receiver = NotificationBed.receiver(directory)
        let harness = NotificationBed.harness()
        try await receiver.run {
            try await harness.run { client, startup in
                let erp = try await client.erpToken(startup.erp)
                try await client.mustRegisterCallback(url: receiver.url, token: erp)
                if Harness.onPostgres {
                    // A dump of the whole database (pg_dump, as an operator's backup) holds only the sealed key.
                    let dump = try await TestPostgres.dump(startup.storeDescription)
                    #expect(dump.contains("callbacks") && !dump.contains(NotificationBed.apiKey))
                } else {
                    let file = try Data(contentsOf: URL(fileURLWithPath: harness.configuration.store.dataDirectory + "/eisal.sqlite"))
                    let wal = (try? Data(contentsOf: URL(fileURLWithPath: harness.configuration.store.dataDirectory + "/eisal.sqlite-wal"))) ?? Data()
                    #expect(file.range(of: Data(NotificationBed.apiKey.utf8)) == nil && wal.range(of: Data(NotificationBed.apiKey.utf8)) == nil)
                }
                let attributes = try FileManager.default.attributesOfItem(atPath: harness.configuration.store.dataDirectory + "/callback.key")
                #expect((attributes[.posixPermissions] as? Int) == 0o600)
            }
        }
    }

    /// Replay sends the same deliveryId and body again; the receiver's inbox answers 200 without
    /// handing the messages over twice. Another taxpayer sees none of it.
    @Test func aReplayedDeliveryHasTheSameIdAndIsNotHandledTwice() async throws {
        let directory = try TemporaryDirectory("notify-replay")
        defer { directory.remove() }
        let receiver = NotificationBed.receiver(directory)
        try await receiver.run {
            try await NotificationBed.harness().run { client, startup in
                let erp = try await client.erpToken(startup.erp)
                try await client.mustRegisterCallback(url: receiver.url, token: erp)
                let pos = try await client.posToken(startup.pos)
                var chain = ReceiptChain()
                let submission = try await client.submitReceipts(try (0 ..< 5).map { _ in try chain.next() }, token: pos)
                let statuses = try await client.finalStatuses([submission], token: pos)
                try await NotificationBed.waitUntil("5 notifications were handled") { receiver.handled.count >= 5 }
                try await NotificationBed.waitUntil("the delivery is delivered") { try await client.deliveries(token: erp, status: "Open").isEmpty }
                let id = try #require(try await client.deliveries(token: erp).first?["deliveryId"]?.string)
                let callsBefore = receiver.calls.count

                let replay = try await client.execute(uri: "/eisal/deliveries/\(id)/replay", method: .post, headers: [.authorization: "Bearer \(erp)"])
                #expect(replay.status == .accepted)
                try await NotificationBed.waitUntil("the replay was delivered") {
                    (try await client.delivery(id, token: erp))["attempts"]?.elements.count == 2 && receiver.calls.count > callsBefore
                }
                let log = try await client.delivery(id, token: erp)
                #expect(log["status"]?.string == "Delivered")
                #expect(log["attempts"]?.elements.map { $0["httpStatus"]?.numberLexeme } == ["200", "200"])
                #expect(log["body"]?["deliveryId"]?.string == id && log["body"]?["count"]?.numberLexeme == "5")
                #expect(receiver.calls.last?.deliveryId == id)
                expectDeliveredExactlyOnce(receiver.handled, statuses: statuses)

                // Another taxpayer: not its delivery.
                let other = try await client.addTaxpayerWithERP("300000003")
                #expect(try await client.get("/eisal/deliveries/\(id)", token: other).status == .notFound)
                #expect(try await client.execute(uri: "/eisal/deliveries/\(id)/replay", method: .post, headers: [.authorization: "Bearer \(other)"]).status == .notFound)
                #expect(try await client.deliveries(token: other).isEmpty)
                // The operator sees every taxpayer's deliveries.
                let operatorView = try await client.execute(uri: "/admin/deliveries?rin=100000001", method: .get, headers: [HTTPField.Name("X-Admin-Key")!: "test-admin-key"])
                #expect(operatorView.status == .ok && operatorView.json["result"]?.elements.first?["deliveryId"]?.string == id)
            }
        }
    }

    /// A buyer that is a registered taxpayer with a callback gets `receipt-received` for each valid
    /// receipt; the seller's receiver failing all along does not hold it up.
    @Test func aBuyersReceiverIsServedWhileTheSellersKeepsFailing() async throws {
        let directory = try TemporaryDirectory("notify-isolation")
        defer { directory.remove() }
        let seller = NotificationBed.receiver(directory)
        let buyer = NotificationBed.receiver(directory, rin: "200000002")
        try await NotificationBed.harness().run { client, startup in
            let sellerERP = try await client.erpToken(startup.erp)
            let buyerERP = try await client.addTaxpayerWithERP("200000002")
            try await seller.run {
                try await buyer.run {
                    try await client.mustRegisterCallback(url: seller.url, token: sellerERP)
                    try await client.mustRegisterCallback(url: buyer.url, token: buyerERP)
                    seller.inject(Array(repeating: .status(503), count: 10_000))
                    let pos = try await client.posToken(startup.pos)
                    var chain = ReceiptChain()
                    let receipts = try (0 ..< 8).map { _ in try chain.next { $0.buyer = Buyer(type: "B", id: "200000002", name: "Buyer") } }
                    let submission = try await client.submitReceipts(receipts, token: pos)
                    let statuses = try await client.finalStatuses([submission], token: pos)
                    #expect(statuses.values.allSatisfy { $0 == "Valid" })
                    try await NotificationBed.waitUntil("the buyer got its 8 notifications") { buyer.handled.count >= 8 }
                    expectDeliveredExactlyOnce(buyer.handled, statuses: statuses, type: "receipt-received")
                    // Meanwhile the seller's delivery is being refused and retried (its first
                    // attempt may come after the buyer's deliveries on a loaded machine).
                    try await NotificationBed.waitUntil("the seller's receiver refused a delivery") {
                        seller.calls.contains { $0.path == "/notifications/receipts" && $0.status == 503 }
                    }
                    let open = try await client.deliveries(token: sellerERP, status: "Open")
                    #expect(open.count == 1)
                    #expect(seller.handled.isEmpty)
                }
            }
        }
    }
}
