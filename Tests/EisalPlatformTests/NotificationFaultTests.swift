@testable import EisalPlatform
import EisalCore
import EisalKit
import EisalKitReceiver
import EisalReceiverTestSupport
import EisalStore
import EisalStoreSQLite
import EisalTestSupport
import Foundation
import HummingbirdTesting
import Logging
import Testing

/// Deliveries when the receiver misbehaves (issue 16, "Must show"): each test asserts that
/// nothing was lost, nothing was handled twice, and that the platform's log says what happened.
@Suite("Notifications: faults (real receiver)")
struct NotificationFaultTests {
    /// Registers the demo taxpayer's callback at `receiver`, submits `count` receipts and returns
    /// their final statuses and the ERP token.
    static func submit(_ count: Int, client: some TestClientProtocol, startup: PlatformStartup) async throws -> (statuses: [String: String], erp: String) {
        let erp = try await client.erpToken(startup.erp)
        let pos = try await client.posToken(startup.pos)
        var chain = ReceiptChain()
        let submission = try await client.submitReceipts(try (0 ..< count).map { _ in try chain.next() }, token: pos)
        return (try await client.finalStatuses([submission], token: pos), erp)
    }

    static func attempts(_ delivery: JSONNode) -> [JSONNode] { delivery["attempts"]?.elements ?? [] }

    @Test func aReceiverAnswering500ToItsFirstThreeCallsGetsEverythingOnce() async throws {
        let directory = try TemporaryDirectory("fault-500")
        defer { directory.remove() }
        let receiver = NotificationBed.receiver(directory)
        try await receiver.run {
            try await NotificationBed.harness().run { client, startup in
                try await client.mustRegisterCallback(url: receiver.url, token: try await client.erpToken(startup.erp))
                receiver.inject([.status(500, body: "boom"), .status(500, body: "boom"), .status(500, body: "boom")])
                let (statuses, erp) = try await Self.submit(20, client: client, startup: startup)
                try await NotificationBed.waitUntil("20 notifications were handled") { receiver.handled.count >= 20 }
                try await NotificationBed.waitUntil("no delivery is open") { try await client.deliveries(token: erp, status: "Open").isEmpty }
                expectDeliveredExactlyOnce(receiver.handled, statuses: statuses)
                let id = try #require(receiver.handled.first?.deliveryId)
                let log = try await client.delivery(id, token: erp)
                #expect(Self.attempts(log).map { $0["httpStatus"]?.numberLexeme } == ["500", "500", "500", "200"])
                #expect(Self.attempts(log).first?["statusDetails"]?.string == "HTTP 500: boom")
                // The same delivery each time.
                let calls = receiver.calls.filter { $0.path == "/notifications/receipts" }
                #expect(calls.prefix(4).map(\.deliveryId) == Array(repeating: id, count: 4))
            }
        }
    }

    @Test func aReceiverThatIsDownForAWhileGetsEverythingOnceWhenItIsBack() async throws {
        let directory = try TemporaryDirectory("fault-down")
        defer { directory.remove() }
        let receiver = NotificationBed.receiver(directory)
        try await NotificationBed.harness().run { client, startup in
            let erp = try await client.erpToken(startup.erp)
            try await receiver.run {
                try await client.mustRegisterCallback(url: receiver.url, token: erp)
            }
            // The receiver is down: attempts fail to connect and are retried.
            let (statuses, _) = try await Self.submit(30, client: client, startup: startup)
            try await NotificationBed.waitUntil("three attempts failed") {
                guard let id = try await client.deliveries(token: erp).first?["deliveryId"]?.string else { return false }
                return Self.attempts(try await client.delivery(id, token: erp)).count >= 3
            }
            let failing = try #require(try await client.deliveries(token: erp).first)
            #expect(failing["status"]?.string == "Open" && failing["nextAttemptDateTime"]?.string != nil)
            let id = try #require(failing["deliveryId"]?.string)
            let failures = Self.attempts(try await client.delivery(id, token: erp))
            #expect(failures.allSatisfy { $0["httpStatus"] == nil && $0["status"]?.string == "Failed" && ($0["statusDetails"]?.string ?? "").isEmpty == false })
            // Back up, on the same port with the same inbox.
            try await receiver.run {
                try await NotificationBed.waitUntil("30 notifications were handled") { receiver.handled.count >= 30 }
                try await NotificationBed.waitUntil("no delivery is open") { try await client.deliveries(token: erp, status: "Open").isEmpty }
            }
            expectDeliveredExactlyOnce(receiver.handled, statuses: statuses)
            #expect(Self.attempts(try await client.delivery(id, token: erp)).last?["httpStatus"]?.numberLexeme == "200")
        }
    }

    /// The receiver takes longer than the request timeout: the attempt is failed and retried with
    /// the same deliveryId; the late first call and the retry hand the messages over once.
    @Test func aReceiverHangingPastTheTimeoutGetsEverythingOnce() async throws {
        let directory = try TemporaryDirectory("fault-hang")
        defer { directory.remove() }
        let receiver = NotificationBed.receiver(directory)
        try await receiver.run {
            try await NotificationBed.harness { $0.notifications.requestTimeoutMilliseconds = 500 }.run { client, startup in
                try await client.mustRegisterCallback(url: receiver.url, token: try await client.erpToken(startup.erp))
                receiver.inject([.hang(.seconds(2))])
                let (statuses, erp) = try await Self.submit(10, client: client, startup: startup)
                try await NotificationBed.waitUntil("10 notifications were handled") { receiver.handled.count >= 10 }
                try await NotificationBed.waitUntil("no delivery is open") { try await client.deliveries(token: erp, status: "Open").isEmpty }
                // Let the hung call finish too: it must not hand anything over again.
                try await NotificationBed.waitUntil("the hung call was answered") { receiver.calls.filter { $0.path == "/notifications/receipts" }.count >= 2 }
                try await Task.sleep(for: .milliseconds(200))
                expectDeliveredExactlyOnce(receiver.handled, statuses: statuses)
                let id = try #require(receiver.handled.first?.deliveryId)
                let attempts = Self.attempts(try await client.delivery(id, token: erp))
                #expect(attempts.first?["httpStatus"] == nil && attempts.first?["status"]?.string == "Failed")
                #expect(attempts.last?["httpStatus"]?.numberLexeme == "200")
            }
        }
    }

    /// The ERP changed its key without telling the platform: 401s are logged and retried until the
    /// taxpayer registers the new key, and then everything arrives once.
    @Test func aWrongAPIKeyIsLoggedAndRetriedUntilTheKeyIsFixed() async throws {
        let directory = try TemporaryDirectory("fault-401")
        defer { directory.remove() }
        let receiver = NotificationBed.receiver(directory)
        let capture = LogCapture()
        try await NotificationBed.harness().run(logger: capture.logger(level: .warning)) { client, startup in
            let erp = try await client.erpToken(startup.erp)
            try await receiver.run {
                try await client.mustRegisterCallback(url: receiver.url, token: erp)
            }
            receiver.apiKey.withLock { $0 = "rotated-key-9876543210" }
            try await receiver.run {
                let (statuses, _) = try await Self.submit(10, client: client, startup: startup)
                try await NotificationBed.waitUntil("two 401s were logged") { receiver.calls.filter { $0.status == 401 }.count >= 2 }
                let id = try #require(try await client.deliveries(token: erp).first?["deliveryId"]?.string)
                let rejected = Self.attempts(try await client.delivery(id, token: erp))
                #expect(rejected.allSatisfy { $0["httpStatus"]?.numberLexeme == "401" && ($0["statusDetails"]?.string ?? "").contains("HTTP 401") })
                #expect(capture.all.contains { $0.level == .warning && $0.message.contains("will be retried") && $0.metadata.contains("HTTP 401") })
                #expect(receiver.handled.isEmpty)
                // The taxpayer registers the new key; the open delivery goes through with it.
                try await client.mustRegisterCallback(url: receiver.url, apiKey: "rotated-key-9876543210", token: erp)
                try await NotificationBed.waitUntil("10 notifications were handled") { receiver.handled.count >= 10 }
                try await NotificationBed.waitUntil("no delivery is open") { try await client.deliveries(token: erp, status: "Open").isEmpty }
                expectDeliveredExactlyOnce(receiver.handled, statuses: statuses)
                #expect(receiver.calls.last?.authorization == "ApiKey rotated-key-9876543210")
            }
        }
    }

    /// A delivery whose retries are all used up is failed, and replay sends it again.
    @Test func aDeliveryOutOfRetriesIsFailedAndAReplayDeliversIt() async throws {
        let directory = try TemporaryDirectory("fault-failed")
        defer { directory.remove() }
        let receiver = NotificationBed.receiver(directory)
        try await receiver.run {
            try await NotificationBed.harness { $0.notifications.retryAttempts = 3 }.run { client, startup in
                try await client.mustRegisterCallback(url: receiver.url, token: try await client.erpToken(startup.erp))
                receiver.inject(Array(repeating: .status(502), count: 3))
                let (statuses, erp) = try await Self.submit(5, client: client, startup: startup)
                try await NotificationBed.waitUntil("the delivery failed") { try await client.deliveries(token: erp, status: "Failed").count == 1 }
                let id = try #require(try await client.deliveries(token: erp).first?["deliveryId"]?.string)
                #expect(Self.attempts(try await client.delivery(id, token: erp)).count == 3)
                let listed = try await client.get("/api/v1.0/notifications/taxpayer?status=Failed", token: erp)
                #expect(listed.json["metadata"]?["totalCount"]?.numberLexeme == "5")
                #expect(receiver.handled.isEmpty)
                #expect(try await client.execute(uri: "/eisal/deliveries/\(id)/replay", method: .post, headers: [.authorization: "Bearer \(erp)"]).status == .accepted)
                try await NotificationBed.waitUntil("5 notifications were handled") { receiver.handled.count >= 5 }
                try await NotificationBed.waitUntil("the delivery is delivered") { try await client.deliveries(token: erp, status: "Delivered").count == 1 }
                expectDeliveredExactlyOnce(receiver.handled, statuses: statuses)
                #expect(receiver.handled.allSatisfy { $0.deliveryId == id })
            }
        }
    }

    @Test(arguments: [
        ("http://127.0.0.1:9", "must be https"),
        ("https://127.0.0.1:9/", "loopback"),
        ("https://[::1]:9", "loopback"),
        ("https://localhost:9", "loopback"),
        ("https://10.1.2.3", "private"),
        ("https://192.168.0.10:8443/erp", "private"),
        ("https://169.254.169.254/latest", "cloud metadata"),
        ("https://169.254.10.1", "link-local"),
        ("https://[fe80::1]", "link-local"),
        ("https://0.0.0.0", "unspecified"),
        ("https://user:pw@example.com", "user info"),
    ])
    func productionModeRefusesCallbacksToInnerAddresses(url: String, reason: String) async throws {
        try await NotificationBed.harness { $0.notifications.mode = .production }.run { client, startup in
            let response = try await client.registerCallback(url: url, token: try await client.erpToken(startup.erp))
            #expect(response.status == .badRequest)
            #expect(response.json["error"]?["target"]?.string == "url")
            #expect(response.json["error"]?["message"]?.string?.contains(reason) == true, "\(response.json["error"]?["message"]?.string ?? "")")
        }
    }

    @Test func sandboxModeAllowsPlainHTTPOnlyToLoopbackAndPrivateAddresses() async throws {
        try await NotificationBed.harness().run { client, startup in
            let response = try await client.registerCallback(url: "http://8.8.8.8/erp", token: try await client.erpToken(startup.erp))
            #expect(response.status == .badRequest)
            #expect(response.json["error"]?["message"]?.string?.contains("use https") == true)
        }
    }

    /// Addresses are checked again at every delivery: a callback that now resolves to a loopback
    /// address (here: one put in the database of a production node) gets no request at all.
    @Test func productionModeChecksTheAddressAgainAtEveryDelivery() async throws {
        let directory = try TemporaryDirectory("fault-ssrf")
        defer { directory.remove() }
        let receiver = NotificationBed.receiver(directory)
        let harness = NotificationBed.harness { $0.notifications.mode = .production; $0.notifications.retryAttempts = 2 }
        try await receiver.run {
            try await harness.run { client, startup in
                let dataDirectory = harness.configuration.store.dataDirectory
                let sealer = try CallbackKeySealer.load(configured: nil, directory: dataDirectory)
                try await startup.store.upsertCallback(CallbackRecord(taxpayerRIN: "100000001", baseURL: "https://127.0.0.1:\(receiver.port)", sealedAPIKey: try sealer.seal(NotificationBed.apiKey),
                                                              language: "en", registeredAt: 0))
                let (_, erp) = try await Self.submit(3, client: client, startup: startup)
                try await NotificationBed.waitUntil("the delivery failed") { try await client.deliveries(token: erp, status: "Failed").count == 1 }
                let id = try #require(try await client.deliveries(token: erp).first?["deliveryId"]?.string)
                let attempts = Self.attempts(try await client.delivery(id, token: erp))
                #expect(attempts.count == 2)
                #expect(attempts.allSatisfy { ($0["statusDetails"]?.string ?? "").contains("may not target loopback") })
                #expect(receiver.calls.isEmpty)
            }
        }
    }

    @Test(arguments: [
        ("127.0.0.1", AddressClass.loopback), ("10.0.0.1", .private), ("172.16.5.4", .private), ("172.32.0.1", .public), ("192.168.1.1", .private),
        ("169.254.169.254", .metadata), ("169.254.1.1", .linkLocal), ("100.64.0.1", .carrierNAT), ("0.0.0.0", .unspecified), ("224.0.0.1", .multicast),
        ("8.8.8.8", .public), ("::1", .loopback), ("::", .unspecified), ("fe80::1", .linkLocal), ("fd00::1", .private), ("fd00:ec2::254", .metadata),
        ("::ffff:127.0.0.1", .loopback), ("::ffff:8.8.8.8", .public), ("2001:4860:4860::8888", .public), ("ff02::1", .multicast),
    ])
    func addressClasses(address: String, expected: AddressClass) {
        #expect(AddressClass.of(address) == expected)
    }

    @Test func theRetryScheduleRidesOutAnHourLongOutage() {
        let settings = NotificationSettings()
        let schedule = settings.schedule
        #expect(schedule.count == settings.retryAttempts - 1)
        #expect(schedule.prefix(4) == [1_000, 3_000, 7_000, 15_000])
        // With the −20 % jitter on every delay the last attempt is still more than an hour after the first.
        #expect(Double(schedule.last!) * 0.8 > 3_600_000, "the last attempt is \(schedule.last! / 60_000) minutes after the first")
    }
}
