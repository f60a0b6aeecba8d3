import ArgumentParser
import EisalCore
import EisalKit
import Foundation

/// `eisal submit`: receipts through EisalKit the way the FAQ asks (issue 19, item 6).
struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit receipts (files, or --generate N) in auto-sized batches, then wait for their verdicts; a progress line while sending, a summary at the end.",
        discussion: """
        Exit codes: 0 every receipt accepted (and, when waited for, Valid); 1 the platform refused something (receipts rejected or Invalid, a refused login or request); 2 no usable answer (transport errors after every retry).
        --generate builds N valid, varied receipts of --rin for the POS given by --pos-serial, continuing its previousUUID chain kept in --chain.
        """
    )

    @OptionGroup var connection: ClientOptions
    @Argument(help: "JSON files: a receipt, or a submission {\"receipts\": [...]} (each receipt sent byte for byte).") var files: [String] = []
    @Option(help: "Instead of files: N generated receipts of the POS.") var generate: Int?
    @Option(help: "The seller's RIN for --generate.") var rin = "100000001"
    @Option(help: "The previousUUID chain file of --generate (a restarted POS continues its chain).") var chain = "./eisal-chain.json"
    @Option(help: "Most receipts per submission (the byte limit applies too).") var batchSize = 500
    @Option(help: "Submissions in flight at once. Keep 1 for one POS: its receipts chain (previousUUID), so a submission must be accepted before the next names its receipts.") var concurrency = 1
    @Option(help: "poll (wait for each submission's final status, polling sized to it) or none.") var wait = "poll"
    @Flag(help: "Print the summary as JSON.") var json = false

    func validate() throws {
        guard (generate == nil) != files.isEmpty else { throw ValidationError("give receipt files or --generate N, not both") }
        guard (generate ?? 1) >= 1 else { throw ValidationError("--generate takes a positive number") }
        guard ["poll", "none"].contains(wait) else { throw ValidationError("--wait is poll or none") }
        guard (1 ... 500).contains(batchSize), concurrency >= 1 else { throw ValidationError("--batch-size is 1 to 500, --concurrency at least 1") }
    }

    func run() async throws {
        let (receipts, chainStore, serial) = try await buildReceipts()
        var exit: Int32 = 0
        try await connection.with { client in
            var submitterConfiguration = SubmitterConfiguration()
            submitterConfiguration.maximumReceipts = batchSize
            submitterConfiguration.concurrency = concurrency
            submitterConfiguration.onRetry = { attempt, error, wait in
                FileHandle.standardError.write(Data("attempt \(attempt) failed (\(error)); retrying in \(String(format: "%.1f", wait)) s\n".utf8))
            }
            let submitter = ReceiptSubmitter(client: client, configuration: submitterConfiguration)
            let progress = Progress(total: receipts.count)
            let start = ContinuousClock.now
            // The POS's chain moves only past receipts the platform accepted, so a failed run's
            // receipts are built again (same numbers) by the next run instead of being skipped.
            let positions = Dictionary(uniqueKeysWithValues: receipts.enumerated().map { ($1.uuid, $0) })
            let acceptedUpTo = AcceptedPosition()
            let outcomes: [BatchOutcome]
            do {
                outcomes = try await submitter.submit(receipts) { outcome in
                    await progress.add(outcome)
                    if !outcome.accepted.isEmpty, let last = outcome.uuids.last, let k = positions[last] { await acceptedUpTo.raise(k) }
                }
                await progress.finish()
                if let chainStore, let k = await acceptedUpTo.value { try await chainStore.advance(serial, to: receipts[k], adding: k + 1) }
            } catch {
                await progress.finish()
                if let chainStore, let k = await acceptedUpTo.value { try await chainStore.advance(serial, to: receipts[k], adding: k + 1) }
                throw error
            }
            let sendSeconds = (ContinuousClock.now - start).seconds
            var summary = Summary(receipts: receipts.count, submissions: outcomes.count, seconds: sendSeconds)
            for outcome in outcomes {
                summary.accepted += outcome.accepted.count
                for r in outcome.rejected { summary.rejected[Summary.key(r.error), default: 0] += 1 }
            }
            var pollError: (any Error)?
            if wait == "poll" {
                let poller = SubmissionPoller(client: client)
                do { try await withThrowingTaskGroup(of: (ReceiptSubmissionDetails, Int).self) { group in
                    var pending = outcomes.compactMap { o in o.submissionUUID.map { ($0, o.accepted.count) } }[...]
                    func start() { if let (id, count) = pending.popFirst() { group.addTask { try await poller.waitForFinal(id, receipts: count) } } }
                    for _ in 0 ..< 8 { start() }
                    while let (details, looks) = try await group.next() {
                        summary.looks += looks
                        for row in details.receipts {
                            summary.statuses[row.status, default: 0] += 1
                            for e in row.errors ?? [] { summary.invalid[Summary.key(e), default: 0] += 1 }
                        }
                        start()
                    }
                } } catch {
                    pollError = error
                }
                summary.waited = pollError == nil
            }
            summary.totalSeconds = (ContinuousClock.now - start).seconds
            summary.tokenRequests = await client.tokenRequests
            print(json ? JSONWriter(indent: 2).string(summary.json) : summary.text)
            if let pollError {
                // The receipts were sent; only their verdicts are unknown: say so, and exit 2.
                FileHandle.standardError.write(Data("error: waiting for the verdicts failed: \(pollError)\n".utf8))
                exit = 2
                return
            }
            let allValid = !summary.waited || summary.statuses.filter { $0.key != "Valid" }.values.reduce(0, +) == 0
            exit = summary.rejected.isEmpty && allValid ? 0 : 1
        }
        if exit != 0 { throw ExitCode(exit) }
    }

    /// The receipts to send, and (for --generate) the chain to advance once they are accepted.
    func buildReceipts() async throws -> ([BuiltReceipt], POSReceiptChain?, String) {
        if let generate {
            let serial = try connection.resolved().posSerial ?? "DEMO-POS-1"
            let chainStore = try POSReceiptChain(path: chain)
            let first = await chainStore.count(of: serial)
            let generator = ReceiptGenerator(seller: ReceiptExamples.demoSeller(rin: rin, deviceSerialNumber: serial),
                                             issued: UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60), numberPrefix: "\(serial)-")
            let receipts = try await chainStore.prepare(generate, of: serial) { previous, k in try generator.receipt(first + k, previousUUID: previous) }
            return (receipts, chainStore, serial)
        }
        var out: [BuiltReceipt] = []
        for file in files {
            let input = try ReceiptInput.read(file)
            let nodes = input.document.root["receipts"]?.elements ?? [input.document.root]
            for node in nodes {
                let receipt = try Receipt(tokenTree: node)
                out.append(BuiltReceipt(receipt: receipt, json: Array(node.rawBytes)))
            }
        }
        return (out, nil, "")
    }
}

/// The furthest receipt (by position) in a batch the platform accepted.
actor AcceptedPosition {
    private(set) var value: Int?
    func raise(_ k: Int) { value = max(value ?? k, k) }
}

/// The live progress line (on standard error: rewritten in place on a terminal, else at most once a second).
actor Progress {
    let total: Int
    var sent = 0, accepted = 0, rejected = 0
    let start = ContinuousClock.now
    var lastPrint = ContinuousClock.now - .seconds(10)
    let terminal = isatty(2) == 1

    init(total: Int) { self.total = total }

    func add(_ outcome: BatchOutcome) {
        sent += outcome.uuids.count
        accepted += outcome.accepted.count
        rejected += outcome.rejected.count
        let now = ContinuousClock.now
        if terminal || now - lastPrint >= .seconds(1) || sent == total {
            lastPrint = now
            print(line)
        }
    }

    var line: String {
        let rate = Double(sent) / max(0.001, (ContinuousClock.now - start).seconds)
        let width = 30, done = total == 0 ? width : width * sent / total
        return "[\(String(repeating: "#", count: done))\(String(repeating: ".", count: width - done))] sent \(sent)/\(total)  accepted \(accepted)  rejected \(rejected)  \(Int(rate)) receipts/s"
    }

    func print(_ text: String) {
        FileHandle.standardError.write(Data((terminal ? "\r" + text : text + "\n").utf8))
    }

    func finish() { if terminal { FileHandle.standardError.write(Data("\n".utf8)) } }
}

/// What `eisal submit` reports at the end.
struct Summary {
    var receipts: Int, submissions: Int, seconds: Double
    var accepted = 0
    var rejected: [String: Int] = [:]
    var statuses: [String: Int] = [:]
    var invalid: [String: Int] = [:]
    var looks = 0, tokenRequests = 0
    var waited = false
    var totalSeconds = 0.0

    static func key(_ e: ETAError) -> String {
        let inner = e.details?.first ?? e
        return "\(inner.code ?? e.code ?? "?") \(inner.propertyPath ?? inner.target ?? "")".trimmingCharacters(in: .whitespaces)
    }

    var text: String {
        var lines = [
            "sent \(receipts) receipts in \(submissions) submissions in \(String(format: "%.2f", seconds)) s (\(Int(Double(receipts) / max(seconds, 0.001))) receipts/s); token requests: \(tokenRequests)",
            "accepted \(accepted), rejected \(rejected.values.reduce(0, +))",
        ]
        lines += rejected.sorted { $0.value > $1.value }.map { "  rejected \($0.value)  \($0.key)" }
        if waited {
            lines.append("final statuses: " + statuses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                         + " (\(looks) status calls; all final after \(String(format: "%.2f", totalSeconds)) s)")
            lines += invalid.sorted { $0.value > $1.value }.map { "  invalid \($0.value)  \($0.key)" }
        }
        return lines.joined(separator: "\n")
    }

    var json: JSONValue {
        func counts(_ d: [String: Int]) -> JSONValue { .object(d.sorted { $0.key < $1.key }.map { ($0.key, .number(String($0.value))) }) }
        return .object([
            ("receipts", .number(String(receipts))), ("submissions", .number(String(submissions))), ("seconds", .number(String(format: "%.3f", seconds))),
            ("accepted", .number(String(accepted))), ("rejected", counts(rejected)), ("statuses", counts(statuses)), ("invalid", counts(invalid)),
            ("statusCalls", .number(String(looks))), ("tokenRequests", .number(String(tokenRequests))),
        ])
    }
}
