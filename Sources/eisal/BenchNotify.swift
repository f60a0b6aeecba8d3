// `eisal bench notify`: submit → callback latency and delivered notifications/s with a real
// receiver (EisalKit's CallbackReceiver with its SQLite inbox) on loopback; and the receiver
// `eisal bench ingest --callback` registers, so ingest can be compared with and without a
// callback. Platform, client and receiver share this process (and its cores).

import ArgumentParser
import AsyncHTTPClient
import EisalCore
import EisalKitReceiver
import EisalPlatform
import EisalStore
import EisalStoreSQLite
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A callback receiver for benchmarks: when each receipt's notification arrived.
final class BenchReceiver: Sendable {
    struct Arrival: Sendable {
        var uuid: String
        var deliveryId: String
        var at: ContinuousClock.Instant
    }

    /// Arrivals, appended by the handler.
    final class Log: Sendable {
        let arrivals = Mutex<[Arrival]>([])
        /// While true the handler fails, so the receiver answers 500 and notifications pile up.
        let paused = Atomic(false)
    }

    private let log = Log()
    let apiKey = "bench-callback-key-" + UUID().uuidString
    let application: Application<RouterResponder<BasicRequestContext>>
    let port: AsyncStream<Int>

    init(inbox: String, rin: String) throws {
        var logger = Logger(label: "bench-receiver")
        logger.logLevel = .critical
        let log = self.log
        let receiver = CallbackReceiver(configuration: .init(apiKey: apiKey, rins: [rin]), inbox: try SQLiteNotificationInbox(path: inbox), logger: logger) { n in
            if log.paused.load(ordering: .relaxed) { throw CancellationError() }
            let arrival = Arrival(uuid: n.uuid ?? "", deliveryId: n.deliveryId, at: .now)
            log.arrivals.withLock { $0.append(arrival) }
        }
        let router = Router()
        receiver.register(on: router)
        let (port, continuation) = AsyncStream.makeStream(of: Int.self)
        self.port = port
        application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "bench-receiver"),
                                  onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
    }

    /// Makes the receiver fail (true) or take (false) deliveries.
    func pause(_ paused: Bool) { log.paused.store(paused, ordering: .relaxed) }

    var count: Int { log.arrivals.withLock { $0.count } }
    var all: [Arrival] { log.arrivals.withLock { $0 } }

    /// Registers `url` as the callback of the ERP client's taxpayer (the platform Pings it first).
    func register(base: String, url: String, erp: IssuedCredentials) async throws {
        var tokenRequest = HTTPClientRequest(url: base + "/connect/token")
        tokenRequest.method = .POST
        tokenRequest.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        tokenRequest.body = .bytes(ByteBuffer(string: "grant_type=client_credentials&client_id=\(erp.clientID)&client_secret=\(erp.clientSecret)"))
        let tokenBody = try await HTTPClient.shared.execute(tokenRequest, timeout: .seconds(10)).body.collect(upTo: 1 << 16)
        guard let token = try JSONParser().parse(Array(buffer: tokenBody)).root["access_token"]?.string else { throw ValidationError("no ERP token") }
        var request = HTTPClientRequest(url: base + "/eisal/callback")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: JSONWriter().bytes(.object([("url", .string(url)), ("apiKey", .string(apiKey))]))))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok else { throw ValidationError("registering the callback failed: HTTP \(response.status.code) \(String(buffer: body))") }
    }

    /// Waits until `expected` notifications arrived (false after `timeout`).
    func waitFor(_ expected: Int, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while count < expected {
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}

extension Bench {
    struct Notify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit → callback latency (p50/p99) at an offered rate, and notifications/s delivered, with a real receiver on loopback."
        )

        @Option(help: "Offered load in receipts/s (0: as fast as the server accepts).") var rate = 1000
        @Option(help: "How long to offer it, in seconds.") var seconds = 10
        @Option(help: "Receipts per submission.") var receiptsPerSubmission = 10
        @Option(help: "Submissions in flight at most.") var concurrency = 64
        @Option(help: "Durability: full or normal.") var durability = "full"
        @Option(help: "Most notifications per delivery (notify.batch.size).") var batchSize = NotificationSettings().batchSize
        @Option(help: "Longest wait for a batch to fill, ms (notify.batch.wait.ms).") var batchWaitMs = NotificationSettings().batchWaitMilliseconds
        @Flag(help: "Measure delivery alone: the receiver refuses deliveries until every receipt is validated and its notification queued, then takes the backlog.")
        var backlog = false

        func run() async throws {
            let directory = NSTemporaryDirectory() + "eisal-bench-notify-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var configuration = PlatformConfiguration(host: "127.0.0.1", port: 0, logLevel: .error, store: .sqlite(path: directory + "/eisal.sqlite", durability: Durability(rawValue: durability) ?? .full))
            configuration.rateLimits = .off
            configuration.notifications.batchSize = batchSize
            configuration.notifications.batchWaitMilliseconds = batchWaitMs
            // The paused receiver's refusals must not push the next attempt far out.
            if backlog { configuration.notifications.retryMaximumMilliseconds = 1_000 }
            try await withPlatforms([configuration]) { nodes in try await run(nodes[0], directory: directory) }
        }

        func run(_ node: PlatformNode, directory: String) async throws {
            let (app, startup, portStream) = (node.app, node.startup, node.port)
            let receiver = try BenchReceiver(inbox: directory + "/inbox.sqlite", rin: startup.demoCredentials[0].taxpayerRIN)
            let total = (rate > 0 ? rate * seconds : 10_000) / receiptsPerSubmission * receiptsPerSubmission
            say("building \(total / receiptsPerSubmission) submissions of \(receiptsPerSubmission) receipts …")
            let bodies = try Ingest.bodies(submissions: total / receiptsPerSubmission, perSubmission: receiptsPerSubmission)
            // Which submission each receipt is in, by UUID (read back from the bodies as sent).
            var submissionOf: [String: Int] = [:]
            for (index, body) in bodies.enumerated() {
                for receipt in try JSONParser().parse(body).root["receipts"]?.elements ?? [] { submissionOf[receipt["header"]?["uuid"]?.string ?? receipt["uuid"]?.string ?? ""] = index }
            }

            try await withThrowingTaskGroup(of: Void.self) { group in
                let services = ServiceGroup(services: [app, receiver.application], gracefulShutdownSignals: [], cancellationSignals: [], logger: .init(label: "bench"))
                group.addTask { try await services.run() }
                var ports = portStream.makeAsyncIterator(), receiverPorts = receiver.port.makeAsyncIterator()
                guard let port = await ports.next(), let receiverPort = await receiverPorts.next() else { throw ValidationError("servers did not start") }
                let base = "http://127.0.0.1:\(port)"
                try await receiver.register(base: base, url: "http://127.0.0.1:\(receiverPort)", erp: try requireERP(startup))
                let token = try await Ingest.token(base: base, startup.demoCredentials.first { $0.posSerial != nil }!)
                if backlog { receiver.pause(true) }

                say(rate > 0 ? "offering \(rate) receipts/s for \(seconds) s …" : "sending \(total) receipts as fast as they are accepted …")
                let sentAt = SendTimes(count: bodies.count)
                let cpu0 = ResourceUsage.cpuSeconds(), clock0 = ContinuousClock.now
                var accepted = 0
                try await withThrowingTaskGroup(of: Int.self) { senders in
                    let interval: Duration = rate > 0 ? .seconds(Double(receiptsPerSubmission) / Double(rate)) : .zero
                    var next = 0
                    func send(_ index: Int) async throws -> Int {
                        if rate > 0 { try await Task.sleep(until: clock0 + interval * index, clock: .continuous) }
                        var request = HTTPClientRequest(url: base + "/api/v1/receiptsubmissions")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(bytes: bodies[index]))
                        let now = ContinuousClock.now
                        sentAt.times.withLock { $0[index] = now }
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
                        let bytes = try await response.body.collect(upTo: 1 << 22)
                        guard response.status == .accepted else { throw ValidationError("HTTP \(response.status.code): \(String(buffer: bytes))") }
                        return try JSONParser().parse(Array(buffer: bytes)).root["acceptedDocuments"]?.count ?? 0
                    }
                    while next < min(concurrency, bodies.count) {
                        let index = next
                        senders.addTask { try await send(index) }
                        next += 1
                    }
                    while let n = try await senders.next() {
                        accepted += n
                        if next < bodies.count {
                            let index = next
                            senders.addTask { try await send(index) }
                            next += 1
                        }
                    }
                }
                let sending = ContinuousClock.now - clock0
                if backlog {
                    let store = startup.store
                    while try await store.undeliveredNotificationCount() < accepted { try await Task.sleep(for: .milliseconds(20)) }
                    say("\(try await store.undeliveredNotificationCount()) notifications queued; the receiver takes deliveries from now")
                    receiver.pause(false)
                }
                let complete = try await receiver.waitFor(accepted, timeout: .seconds(120))
                let cpu = ResourceUsage.cpuSeconds() - cpu0
                let arrivals = receiver.all
                let sent = sentAt.times.withLock { $0 }
                var latencies = arrivals.compactMap { a -> Double? in
                    guard let index = submissionOf[a.uuid], let start = sent[index] else { return nil }
                    return (a.at - start).seconds * 1000
                }.sorted()
                if latencies.isEmpty { latencies = [0] }
                func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
                let first = arrivals.map(\.at).min() ?? clock0, last = arrivals.map(\.at).max() ?? clock0
                let deliveries = Set(arrivals.map(\.deliveryId)).count
                say(String(format: "sent %d receipts in %.2f s (%.0f receipts/s offered%@, %d per submission, durability %@)",
                           accepted, sending.seconds, Double(accepted) / sending.seconds, rate > 0 ? " at a target of \(rate)" : "", receiptsPerSubmission, durability as NSString))
                say(String(format: "notified %d of %d receipts%@ in %d deliveries (%.1f per delivery; batch size %d, batch wait %d ms)",
                           arrivals.count, accepted, complete ? "" : " (TIMED OUT)", deliveries, Double(arrivals.count) / Double(max(deliveries, 1)), batchSize, batchWaitMs))
                if !backlog { say(String(format: "submit → callback latency: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", percentile(0.5), percentile(0.9), percentile(0.99), latencies.last!)) }
                say(String(format: "delivered %.0f notifications/s (first to last arrival over %.2f s); the last one %.3f s after the last 202",
                           Double(arrivals.count) / max((last - first).seconds, 0.001), (last - first).seconds, (last - (clock0 + sending)).seconds))
                // How long the receiver took to answer, from the platform's delivery log.
                let store = startup.store
                var answered: [Int64] = []
                for d in try await store.deliveries(recipientRIN: nil, state: .delivered, pageNo: 1, pageSize: 100_000).items {
                    answered += try await store.deliveryLog(id: d.id)?.attempts.filter { $0.statusCode == 200 }.map(\.latencyMilliseconds) ?? []
                }
                answered.sort()
                if !answered.isEmpty {
                    say(String(format: "  the receiver answered a delivery in p50 %d ms, p99 %d ms (handler and inbox write for every message included)",
                               answered[answered.count / 2], answered[min(answered.count - 1, answered.count * 99 / 100)]))
                }
                say(String(format: "  CPU: %.2f s (%.0f µs per receipt, platform + client + receiver); peak RSS %.0f MB", cpu, cpu / Double(max(accepted, 1)) * 1e6, ResourceUsage.peakRSSMegabytes()))
                await services.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }
}

/// When each submission was sent.
final class SendTimes: Sendable {
    let times: Mutex<[ContinuousClock.Instant?]>
    init(count: Int) { times = Mutex(Array(repeating: nil, count: count)) }
}

/// The demo ERP client's credentials.
func requireERP(_ startup: PlatformStartup) throws -> IssuedCredentials {
    guard let erp = startup.demoCredentials.first(where: { $0.posSerial == nil }) else { throw ValidationError("no demo ERP client") }
    return erp
}
