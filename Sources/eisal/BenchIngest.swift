import ArgumentParser
import AsyncHTTPClient
import EisalCore
import EisalKit
import EisalPlatform
import EisalStore
import Foundation
import NIOCore
import ServiceLifecycle

extension Bench {
    /// `eisal bench ingest`: receipts/s accepted end to end over loopback, then how fast full
    /// validation drains the queue. Server and client share this process (and its 2 cores).
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Receipts/s accepted end to end over loopback (100-receipt submissions), with CPU and RSS.")

        @Option(help: "Number of submissions.") var submissions = 200
        @Option(help: "Receipts per submission.") var receiptsPerSubmission = 100
        @Option(help: "Submissions in flight at once.") var concurrency = 16
        @Option(help: "Processing workers.") var workers = 16
        @Option(help: "Durability: full or normal.") var durability = "full"
        @Option(help: "Offered load in receipts/s (0: as fast as the server accepts). With a rate, the report says whether validation kept up.") var rate = 0
        @Option(help: "Memory for handing accepted submissions to the workers, in MB (0: workers read the store).") var handoffMb = 128
        @Option(help: "The database: a PostgreSQL URL (an empty database, or one this bench used before: its demo data is reused); default: a new SQLite file.")
        var database: String?
        @Option(help: "Platform nodes in this process, each with its own HTTP port, workers and connection pool, on the one database; submissions go round-robin.")
        var nodes = 1
        @Flag(help: "Register a callback (a real receiver in this process) first: every verdict is then also notified.") var callback = false
        @Option(help: "With --callback: most notifications per delivery (notify.batch.size).") var batchSize = NotificationSettings().batchSize
        @Option(help: "With --callback: longest wait for a batch to fill, ms (notify.batch.wait.ms).") var batchWaitMs = NotificationSettings().batchWaitMilliseconds
        @Option(help: "With --callback: dispatch workers per node (notify.workers).") var notifyWorkers = NotificationSettings().workers
        @Flag(help: "Invoice documents (version 1.0, signed with the demo seal) from the demo ERP instead of receipts.") var documents = false
        @Flag(help: "With --documents: version 0.9, without signatures (only the document's own text).") var unsigned = false

        func run() async throws {
            let directory = NSTemporaryDirectory() + "eisal-bench-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: directory) }
            guard nodes >= 1 else { throw ValidationError("--nodes must be at least 1") }
            let store = try StoreConfiguration.parse(database ?? directory + "/eisal.sqlite", durability: Durability(rawValue: durability) ?? .full, dataDirectory: directory)
            var configuration = PlatformConfiguration(host: "127.0.0.1", port: 0, logLevel: .error, store: store)
            configuration.processingWorkers = workers
            configuration.handoffMegabytes = handoffMb
            configuration.notifications.batchSize = batchSize
            configuration.notifications.batchWaitMilliseconds = batchWaitMs
            configuration.notifications.workers = notifyWorkers
            try await withPlatforms(Array(repeating: configuration, count: nodes)) { nodes in
                try await run(nodes: nodes, directory: directory)
            }
        }

        func run(nodes: [PlatformNode], directory: String) async throws {
            let startup = nodes[0].startup
            guard let pos = startup.demoCredentials.first(where: { $0.posSerial != nil }) else {
                throw ValidationError("no demo POS credentials in \(directory): use an empty database")
            }
            let store = startup.store

            let noun = documents ? "documents" : "receipts"
            say("building \(submissions) submissions of \(receiptsPerSubmission) \(noun) …")
            let seal = startup.seals.first { $0.rin == pos.taxpayerRIN }
            let signer = try seal.map { try DocumentSigner(certificatePEM: try String(contentsOfFile: $0.certificatePath, encoding: .utf8), keyPEM: try String(contentsOfFile: $0.keyPath, encoding: .utf8)) }
            let bodies = documents ? try Self.documentBodies(submissions: submissions, perSubmission: receiptsPerSubmission, signer: unsigned ? nil : signer)
                : try Self.bodies(submissions: submissions, perSubmission: receiptsPerSubmission)
            let totalBytes = bodies.reduce(0) { $0 + $1.count }

            let receiver = callback ? try BenchReceiver(inbox: directory + "/inbox.sqlite", rin: pos.taxpayerRIN) : nil

            try await withThrowingTaskGroup(of: Void.self) { group in
                let serviceGroup = ServiceGroup(services: nodes.map { $0.app as any Service } + (receiver.map { [$0.application] } ?? []), gracefulShutdownSignals: [],
                                                cancellationSignals: [], logger: .init(label: "bench"))
                group.addTask { try await serviceGroup.run() }
                var bases: [String] = []
                for node in nodes {
                    var iterator = node.port.makeAsyncIterator()
                    guard let port = await iterator.next() else { throw ValidationError("server did not start") }
                    bases.append("http://127.0.0.1:\(port)")
                }
                let targets = bases, base = bases[0]
                if let receiver {
                    var ports = receiver.port.makeAsyncIterator()
                    guard let receiverPort = await ports.next() else { throw ValidationError("receiver did not start") }
                    try await receiver.register(base: base, url: "http://127.0.0.1:\(receiverPort)", erp: try requireERP(startup))
                }
                let token = documents ? try await Self.token(base: base, try requireERP(startup)) : try await Self.token(base: base, pos)
                let path = documents ? "/api/v1.0/documentsubmissions" : "/api/v1/receiptsubmissions"

                say("sending \(bodies.count) submissions (\(totalBytes) bytes) …")
                let cpu0 = ResourceUsage.cpuSeconds(), written0 = ResourceUsage.bytesWritten(), clock0 = ContinuousClock.now
                var accepted = 0, maxQueued = 0
                try await withThrowingTaskGroup(of: Int.self) { senders in
                    var next = 0
                    // Paced sending: submission i leaves no earlier than i × (receipts per submission / rate).
                    let interval: Duration = rate > 0 ? .seconds(Double(receiptsPerSubmission) / Double(rate)) : .zero
                    func send(_ body: [UInt8], at index: Int) async throws -> Int {
                        if rate > 0 { try await Task.sleep(until: clock0 + interval * index, clock: .continuous) }
                        var request = HTTPClientRequest(url: targets[index % targets.count] + path)
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(bytes: body))
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
                        let bytes = try await response.body.collect(upTo: 1 << 22)
                        guard response.status == .accepted else { throw ValidationError("HTTP \(response.status.code): \(String(buffer: bytes))") }
                        return try JSONParser().parse(Array(buffer: bytes)).root["acceptedDocuments"]?.count ?? 0
                    }
                    for _ in 0 ..< min(concurrency, bodies.count) {
                        let body = bodies[next], index = next
                        next += 1
                        senders.addTask { try await send(body, at: index) }
                    }
                    while let n = try await senders.next() {
                        accepted += n
                        if rate > 0 { maxQueued = max(maxQueued, try await store.pendingJobCount()) }
                        if next < bodies.count {
                            let body = bodies[next], index = next
                            next += 1
                            senders.addTask { try await send(body, at: index) }
                        }
                    }
                }
                let intake = ContinuousClock.now - clock0
                let cpuIntake = ResourceUsage.cpuSeconds() - cpu0
                let writtenIntake = ResourceUsage.bytesWritten() - written0
                var pendingAtIntakeEnd = try await store.pendingJobCount()
                let pendingSnapshot = pendingAtIntakeEnd
                while pendingAtIntakeEnd > 0, workers > 0 {
                    try await Task.sleep(for: .milliseconds(20))
                    pendingAtIntakeEnd = try await store.pendingJobCount()
                }
                let validated = ContinuousClock.now - clock0
                let notified = try await receiver?.waitFor(accepted, timeout: .seconds(300))
                let total = ContinuousClock.now - clock0
                let cpuTotal = ResourceUsage.cpuSeconds() - cpu0
                let writtenTotal = ResourceUsage.bytesWritten() - written0
                let intakeSeconds = intake.seconds, totalSeconds = total.seconds
                say(String(format: "accepted %d %@ in %.2f s: %.0f %@/s accepted end to end (%.1f MB/s of JSON, %.2f KB each, %d submissions, concurrency %d, durability %@, %d node(s) on %@)",
                           accepted, noun as NSString, intakeSeconds, Double(accepted) / intakeSeconds, noun as NSString, Double(totalBytes) / intakeSeconds / 1e6,
                           Double(totalBytes) / Double(max(accepted, 1)) / 1e3, bodies.count, concurrency, durability as NSString, nodes.count,
                           (database == nil ? "SQLite" : "PostgreSQL") as NSString))
                say(String(format: "  CPU during intake: %.2f s (%.0f%% of one core; 2 cores = 200%%), %.0f µs per receipt; %.1f MB written (%.1f KB per receipt, sockets included)",
                           cpuIntake, cpuIntake / intakeSeconds * 100, cpuIntake / Double(max(accepted, 1)) * 1e6, Double(writtenIntake) / 1e6, Double(writtenIntake) / Double(max(accepted, 1)) / 1e3))
                if workers > 0 { say(String(format: "full validation: all %d %@ validated %.2f s after the first request: %.0f %@/s overall (%.1f MB/s of JSON); %d of %d jobs were still queued when intake finished",
                           accepted, noun as NSString, validated.seconds, Double(accepted) / validated.seconds, noun as NSString, Double(totalBytes) / validated.seconds / 1e6,
                           pendingSnapshot, bodies.count)) }
                if let receiver {
                    let deliveries = Set(receiver.all.map(\.deliveryId)).count
                    say(String(format: "callback: %d of %d receipts notified%@ in %d deliveries, the last %.2f s after the first request",
                               receiver.count, accepted, notified == true ? "" : " (TIMED OUT)", deliveries, totalSeconds))
                }
                if rate > 0, workers > 0 {
                    say(String(format: "offered %d receipts/s: validation finished %.3f s after the last 202; at most %d submissions waited for validation (%@)",
                               rate, totalSeconds - intakeSeconds, maxQueued, (maxQueued <= concurrency * 2 ? "kept up" : "fell behind") as NSString))
                }
                say(String(format: "  CPU total: %.2f s (%.0f µs per receipt); %.1f MB written in all (%.1f KB per receipt); peak RSS %.0f MB",
                           cpuTotal, cpuTotal / Double(max(accepted, 1)) * 1e6, Double(writtenTotal) / 1e6, Double(writtenTotal) / Double(max(accepted, 1)) / 1e3,
                           ResourceUsage.peakRSSMegabytes()))
                // A graceful stop, as SIGTERM gives `eisal serve`: in-flight requests and jobs finish, nothing is logged as an error.
                await serviceGroup.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }

        static func token(base: String, _ pos: IssuedCredentials) async throws -> String {
            var request = HTTPClientRequest(url: base + "/connect/token")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            if let serial = pos.posSerial {
                request.headers.add(name: "posserial", value: serial)
                request.headers.add(name: "pososversion", value: pos.posOSVersion ?? "")
                request.headers.add(name: "presharedkey", value: pos.presharedKey ?? "")
            }
            request.body = .bytes(ByteBuffer(string: "grant_type=client_credentials&client_id=\(pos.clientID)&client_secret=\(pos.clientSecret)"))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 16)
            guard let token = try JSONParser().parse(Array(buffer: body)).root["access_token"]?.string else { throw ValidationError("no token: \(String(buffer: body))") }
            return token
        }

        /// Valid invoice documents of the demo taxpayer to 100000002, amounts varied: version 1.0
        /// signed with the demo seal (verified in processing), or version 0.9 unsigned without `signer`.
        static func documentBodies(submissions: Int, perSubmission: Int, signer: DocumentSigner?) throws -> [[UInt8]] {
            let issued = UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60)
            return try (0 ..< submissions).map { s in
                let texts = try (0 ..< perSubmission).map { n in
                    let text = DocumentExamples.text(version: signer == nil ? "0.9" : "1.0", internalID: "D\(s)-\(n)", issued: issued, scale: 1 + (s * perSubmission + n) % 997)
                    return try signer.map { String(decoding: try $0.sign(document: Array(text.utf8)), as: UTF8.self) } ?? text
                }
                return Array(DocumentExamples.submission(texts).utf8)
            }
        }

        /// Chained, valid receipts of the demo POS, issued a minute ago, 1–6 lines each.
        static func bodies(submissions: Int, perSubmission: Int) throws -> [[UInt8]] {
            let issued = UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60).iso8601
            var previous = ""
            var result: [[UInt8]] = []
            let lines = ReceiptExamples.saleLines()
            for s in 0 ..< submissions {
                var body = Array(#"{"receipts":["#.utf8)
                for n in 0 ..< perSubmission {
                    let count = 1 + (s * perSubmission + n) % 6
                    let receiptLines = (0 ..< count).map { i in lines[i % lines.count] }
                    let built = try ReceiptBuilder(header: ReceiptHeader(dateTimeIssued: issued, receiptNumber: "B\(s)-\(n)", previousUUID: previous),
                                                   seller: ReceiptExamples.demoSeller(), lines: receiptLines).build()
                    previous = built.uuid
                    if n > 0 { body.append(UInt8(ascii: ",")) }
                    body += built.json
                }
                body += Array("]}".utf8)
                result.append(body)
            }
            return result
        }
    }
}

/// A platform built in this process: its application, start-up report, and the port it listens on (once running).
struct PlatformNode: Sendable {
    var app: PlatformApplication
    var startup: PlatformStartup
    var port: AsyncStream<Int>
}

/// Builds a platform for each configuration (nested, so every node's store runs until `body` returns) and runs `body` with them.
func withPlatforms<T: Sendable>(_ configurations: [PlatformConfiguration], built: [PlatformNode] = [], _ body: ([PlatformNode]) async throws -> T) async throws -> T {
    guard let first = configurations.first else { return try await body(built) }
    let (port, continuation) = AsyncStream<Int>.makeStream()
    return try await withPlatform(configuration: first, onServerRunning: { continuation.yield($0) }) { app, startup in
        try await withPlatforms(Array(configurations.dropFirst()), built: built + [PlatformNode(app: app, startup: startup, port: port)], body)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// CPU time and memory of this process.
enum ResourceUsage {
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Bytes this process has passed to write-like system calls (`wchar` in /proc/self/io).
    static func bytesWritten() -> Int {
        guard let io = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8),
              let line = io.split(separator: "\n").first(where: { $0.hasPrefix("wchar:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    static func peakRSSMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
}
