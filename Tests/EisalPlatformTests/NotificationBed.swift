// What the notification tests share: a platform with a short retry schedule and no throttling,
// calls to register a callback and read the delivery log, and a bounded wait.

import EisalCore
import EisalKit
import EisalKitReceiver
import EisalPlatform
import EisalReceiverTestSupport
import EisalTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

enum NotificationBed {
    static let apiKey = "callback-key-0123456789"

    /// A platform whose deliveries retry after 100 ms, doubling to 400 ms, 60 times; requests time out after 2 s.
    static func harness(_ adjust: @escaping (inout PlatformConfiguration) -> Void = { _ in }) -> Harness {
        Harness { c in
            c.rateLimits = .off
            c.notifications.retryInitialMilliseconds = 100
            c.notifications.retryMaximumMilliseconds = 400
            c.notifications.retryAttempts = 60
            // Long enough for a Ping on a machine busy with the whole suite (with 8 s, a
            // registration test once got a different refusal from the answer it injected); the hang
            // test sets its own.
            c.notifications.requestTimeoutMilliseconds = 20_000
            adjust(&c)
        }
    }

    /// Waits (up to 60 s, so a loaded machine is not a failure) until `condition` holds.
    static func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }

    /// A fresh receiver for taxpayer `rin` with its inbox in `directory`.
    static func receiver(_ directory: TemporaryDirectory, rin: String = "100000001", apiKey: String = apiKey) -> TestReceiver {
        TestReceiver(apiKey: apiKey, rins: [rin], inboxPath: directory.file("inbox-\(rin).sqlite"))
    }
}

extension TestClientProtocol {
    func registerCallback(url: String, apiKey: String = NotificationBed.apiKey, language: String = "en", token: String) async throws -> TestResponse {
        let body = JSONWriter().bytes(.object([("url", .string(url)), ("apiKey", .string(apiKey)), ("language", .string(language))]))
        return try await execute(uri: "/eisal/callback", method: .put, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: ByteBuffer(bytes: body))
    }

    /// Registers a callback that must succeed. Ping is retried while it fails (422), as an ERP
    /// would: a loaded test machine can make the receiver miss a short request timeout.
    func mustRegisterCallback(url: String, apiKey: String = NotificationBed.apiKey, token: String,
                              sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var response = try await registerCallback(url: url, apiKey: apiKey, token: token)
        // Up to 60 s of tries: a test with a short request timeout can see its Pings time out
        // for a while on a machine busy with the whole suite.
        let deadline = ContinuousClock.now + .seconds(60)
        while response.status.code == 422, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            response = try await registerCallback(url: url, apiKey: apiKey, token: token)
        }
        try #require(response.status == .ok, "registration answered \(response.status.code): \(String(buffer: response.body))", sourceLocation: sourceLocation)
    }

    /// The delivery log of the token's taxpayer, newest first.
    func deliveries(token: String, status: String? = nil) async throws -> [JSONNode] {
        let response = try await get("/eisal/deliveries?pageSize=100" + (status.map { "&status=\($0)" } ?? ""), token: token)
        #expect(response.status == .ok)
        return response.json["result"]?.elements ?? []
    }

    func delivery(_ id: String, token: String) async throws -> JSONNode {
        let response = try await get("/eisal/deliveries/\(id)", token: token)
        #expect(response.status == .ok)
        return response.json
    }

    /// Submits `receipts` and returns the submission UUID.
    func submitReceipts(_ receipts: [BuiltReceipt], token: String) async throws -> String {
        let response = try await submit(ReceiptChain.submission(receipts), token: token)
        #expect(response.status == .accepted)
        return try #require(response.json["submissionUUID"]?.string)
    }

    /// Every receipt's final status, by UUID.
    func finalStatuses(_ submissions: [String], token: String) async throws -> [String: String] {
        var statuses: [String: String] = [:]
        for submission in submissions {
            _ = try await pollUntilDone(submission, token: token)
            var page = 1
            while true {
                let rows = try await get("/api/v1/receiptsubmissions/\(submission)/details?PageNo=\(page)&PageSize=100", token: token).json
                for row in rows["receipts"]?.elements ?? [] { statuses[row["uuid"]?.string ?? ""] = row["status"]?.string }
                if page * 100 >= rows["receiptsCount"]?.numberLexeme.flatMap({ Int($0) }) ?? 0 { break }
                page += 1
            }
        }
        return statuses
    }

    /// Registers taxpayer `rin` and an ERP client of it through the admin API; returns an ERP token.
    func addTaxpayerWithERP(_ rin: String) async throws -> String {
        try await erpToken(try await addTaxpayerWithERPCredentials(rin))
    }

    /// Registers taxpayer `rin` and an ERP client of it through the admin API; returns the client's credentials.
    func addTaxpayerWithERPCredentials(_ rin: String) async throws -> IssuedCredentials {
        let admin: HTTPFields = [HTTPField.Name("X-Admin-Key")!: "test-admin-key", .contentType: "application/json"]
        let taxpayer = try await execute(uri: "/admin/taxpayers", method: .post, headers: admin, body: ByteBuffer(string: #"{"rin":"\#(rin)","name":"Buyer \#(rin)"}"#))
        #expect(taxpayer.status == .created)
        let client = try await execute(uri: "/admin/clients", method: .post, headers: admin, body: ByteBuffer(string: #"{"taxpayerRIN":"\#(rin)"}"#))
        #expect(client.status == .created)
        return try JSONNodeDecoder().decode(IssuedCredentials.self, from: client.json)
    }
}

/// What a receiver's handler got, checked against the platform's verdicts: every receipt once,
/// with its status, in batches whose `count` is their length.
func expectDeliveredExactlyOnce(_ handled: [ReceivedNotification], statuses: [String: String], type: String = "receipt-validated",
                                sourceLocation: SourceLocation = #_sourceLocation) {
    let byUUID = Dictionary(grouping: handled, by: { $0.uuid ?? "" })
    #expect(byUUID.count == statuses.count, "notified \(byUUID.count) of \(statuses.count) receipts", sourceLocation: sourceLocation)
    #expect(handled.count == statuses.count, "\(handled.count) notifications for \(statuses.count) receipts", sourceLocation: sourceLocation)
    for (uuid, status) in statuses {
        let got = byUUID[uuid] ?? []
        #expect(got.count == 1, "receipt \(uuid) notified \(got.count) times", sourceLocation: sourceLocation)
        #expect(got.first?.status == status, "receipt \(uuid): notified \(got.first?.status ?? "nothing"), platform says \(status)", sourceLocation: sourceLocation)
        #expect(got.first?.type == type, sourceLocation: sourceLocation)
    }
    for (id, batch) in Dictionary(grouping: handled, by: \.deliveryId) {
        #expect(batch.allSatisfy { $0.declaredCount == batch.count && $0.deliverySize == batch.count }, "delivery \(id): count differs from its messages", sourceLocation: sourceLocation)
        #expect(Set(batch.map(\.index)) == Set(0 ..< batch.count), sourceLocation: sourceLocation)
        #expect(batch.allSatisfy { $0.deliveryType == "receipt" && $0.channel == .receipts }, sourceLocation: sourceLocation)
    }
}
