import ArgumentParser
import Crypto
import EisalCore
import EisalKit
import Foundation

/// `eisal bench …`: throughput measurements. Run in release mode:
/// `swift run -c release eisal bench core`.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure throughput.", subcommands: [Core.self, Validate.self, Explain.self, Ingest.self, Store.self, Notify.self, Signatures.self])

    struct Core: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Canonical serialization + UUID over varied receipts, beside raw SHA-256 of the same bytes.")

        @Option(help: "How many distinct receipts.") var receipts = 10_000
        @Option(help: "Timed rounds over all receipts (the best round is reported).") var rounds = 10
        @Option(help: "Run only the measurements whose name contains this text (e.g. for `perf record`).") var only: String?

        func run() throws {
            let corpus = try BenchCorpus.receipts(count: receipts)
            let documents = try corpus.map { try JSONParser().parse($0) }
            let inputBytes = corpus.reduce(0) { $0 + $1.count }
            let canonical = documents.map { CanonicalSerializer().bytes($0.root, root: .receipt) }
            let canonicalBytes = canonical.reduce(0) { $0 + $1.count }
            print("corpus: \(receipts) receipts, \(inputBytes) bytes of JSON (avg \(inputBytes / receipts) B), \(canonicalBytes) bytes of canonical text")

            var megabytesPerSecond: [String: Double] = [:]
            func measure(_ name: String, bytes: Int, _ body: () -> Int) {
                if let only, !name.contains(only) { return }
                var best = Duration.seconds(1_000_000)
                var sink = 0
                for _ in 0 ..< rounds {
                    let start = ContinuousClock.now
                    sink &+= body()
                    best = min(best, ContinuousClock.now - start)
                }
                let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
                let rps = Double(receipts) / seconds
                let mbps = Double(bytes) / seconds / 1_000_000
                megabytesPerSecond[name] = mbps
                print(String(format: "%-48@ %12.0f receipts/s %9.1f MB/s  (%.2f ms)%@", name as NSString, rps, mbps, seconds * 1000, sink == 42 ? "!" : ""))
            }

            measure("sha256(canonical bytes) [reference]", bytes: canonicalBytes) {
                var n = 0
                for c in canonical { n &+= SHA256.hash(data: c).withUnsafeBytes { Int($0[0]) } }
                return n
            }
            // The same canonical texts back to back in one buffer (the layout of the submission rows below).
            let joined = canonical.flatMap { $0 }
            let offsets = canonical.reduce(into: [0]) { $0.append($0.last! + $1.count) }
            measure("sha256(canonical bytes, one buffer) [reference]", bytes: canonicalBytes) {
                joined.withUnsafeBytes { all in
                    var n = 0
                    for k in 0 ..< canonical.count {
                        n &+= SHA256.hash(data: UnsafeRawBufferPointer(rebasing: all[offsets[k] ..< offsets[k + 1]])).withUnsafeBytes { Int($0[0]) }
                    }
                    return n
                }
            }
            measure("sha256(JSON bytes) [reference]", bytes: inputBytes) {
                var n = 0
                for c in corpus { n &+= SHA256.hash(data: c).withUnsafeBytes { Int($0[0]) } }
                return n
            }
            measure("serialize only (parsed receipts)", bytes: canonicalBytes) {
                var n = 0
                for d in documents { n &+= CanonicalSerializer.eta.withCanonicalBytes(d.root, root: .receipt) { $0.count } }
                return n
            }
            measure("serialize + sha256 (parsed receipts)", bytes: canonicalBytes) {
                var n = 0
                for d in documents { n &+= ReceiptUUID.digest(d.root).withUnsafeBytes { Int($0[0]) } }
                return n
            }
            // As intake holds them: each submission of 100 receipts is parsed once and its receipts
            // are nodes of that one document (text and tape contiguous from receipt to receipt).
            let submissions = try stride(from: 0, to: corpus.count, by: 100).map { start in
                var text = Array("{\"receipts\":[".utf8)
                for (k, c) in corpus[start ..< min(start + 100, corpus.count)].enumerated() {
                    if k > 0 { text.append(UInt8(ascii: ",")) }
                    text += c
                }
                text += Array("]}".utf8)
                return try JSONParser().parse(text)
            }
            let submissionReceipts = submissions.flatMap { $0.root["receipts"]!.elements }
            // Same receipts, same UUIDs, whichever document they sit in.
            guard submissionReceipts.count == documents.count,
                  zip(submissionReceipts, documents).allSatisfy({ ReceiptUUID.digest($0) == ReceiptUUID.digest($1.root) }) else {
                throw ValidationError("the receipts of the submission layout hash differently")
            }
            measure("serialize + sha256 (in submissions)", bytes: canonicalBytes) {
                var n = 0
                for r in submissionReceipts { n &+= ReceiptUUID.digest(r).withUnsafeBytes { Int($0[0]) } }
                return n
            }
            measure("serialize + sha256 + hex UUID string", bytes: canonicalBytes) {
                var n = 0
                for d in documents { n &+= ReceiptUUID.compute(d.root).utf8.count }
                return n
            }
            measure("parse + serialize + sha256 (from bytes)", bytes: inputBytes) {
                var n = 0
                for c in corpus { n &+= ReceiptUUID.compute(try! JSONParser().parse(c).root).utf8.count }
                return n
            }
            // The target of issue 2: serialize + hash at ≥ 50 % of raw SHA-256 over the same bytes,
            // each layout against the reference over the same bytes laid out the same way.
            let ratios = [
                ("serialize + sha256 (parsed receipts)", "sha256(canonical bytes) [reference]", "one document per receipt"),
                ("serialize + sha256 + hex UUID string", "sha256(canonical bytes) [reference]", "one document per receipt, UUID string"),
                ("serialize + sha256 (in submissions)", "sha256(canonical bytes, one buffer) [reference]", "100-receipt submissions (intake)"),
            ]
            for (name, reference, label) in ratios {
                if let mbps = megabytesPerSecond[name], let raw = megabytesPerSecond[reference] {
                    print(String(format: "%@: %.1f %% of raw SHA-256", label as NSString, mbps / raw * 100))
                }
            }
        }
    }
}

extension Bench {
    /// The per-receipt CPU stages of intake and full validation, one core, no I/O.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per-receipt CPU of parsing, structure rules, model reading and full validation (one core).")

        @Option(help: "How many distinct receipts.") var receipts = 10_000
        @Option(help: "Timed rounds (the best round is reported).") var rounds = 10
        @Option(help: "Run only the stages whose name contains this text (e.g. for `perf record`).") var only: String?

        func run() throws {
            let corpus = try BenchCorpus.receipts(count: receipts)
            let validator = ReceiptValidator()
            let context = ValidationContext(now: UTCDateTime("2026-11-23T11:00:00Z")!)
            func measure(_ name: String, _ body: () throws -> Int) rethrows {
                var best = Duration.seconds(1_000_000)
                var sink = 0
                for _ in 0 ..< rounds {
                    let start = ContinuousClock.now
                    sink &+= try body()
                    best = min(best, ContinuousClock.now - start)
                }
                print(String(format: "%@ %8.2f µs per receipt%@", name.padding(toLength: 36, withPad: " ", startingAt: 0) as NSString, best.seconds / Double(receipts) * 1e6, sink == 42 ? "!" : ""))
            }
            // Each stage runs right after its receipt is parsed, as intake and processing run
            // them (the tape is then in cache); the stage's cost is the difference to "parse".
            var parseOnly = 0.0
            func stage(_ name: String, _ body: (JSONNode) -> Int) throws {
                if let only, name != "parse", !name.contains(only) { return }
                var best = Duration.seconds(1_000_000)
                var sink = 0
                for _ in 0 ..< rounds {
                    let start = ContinuousClock.now
                    for c in corpus { sink &+= body(try JSONParser().parse(c).root) }
                    best = min(best, ContinuousClock.now - start)
                }
                let micros = best.seconds / Double(receipts) * 1e6
                if name == "parse" { parseOnly = micros }
                print(String(format: "%@ %8.2f µs per receipt%@%@", name.padding(toLength: 36, withPad: " ", startingAt: 0) as NSString, micros,
                             name == "parse" ? "" : String(format: " (stage %.2f µs)", micros - parseOnly), sink == 42 ? "!" : ""))
            }
            let invalid = try corpus.filter { !validator.validate(try JSONParser().parse($0).root, context: context).isValid }.count
            print("corpus: \(receipts) receipts, \(invalid) of them invalid")
            try stage("parse") { $0.count }
            try stage("parse + receipt UUID") { ReceiptUUID.compute($0).utf8.count }
            try stage("parse + structure rules") { validator.validateStructure($0).count }
            try stage("parse + model reading") { ((try? Receipt(tokenTree: $0))?.itemData.count ?? 0) }
            try stage("parse + full validation") { validator.validate($0, context: context, structureChecked: true).errors.count }
        }
    }

    /// Worst case of the UUID explainer: every receipt of a ≥ 1.5 MB submission claims a UUID
    /// no known mistake reproduces, so the whole catalogue and every pair is tried.
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "UUID explainer on a mismatching submission of ≥ 1.5 MB (worst case: no variant matches).")

        @Option(help: "Receipts in the submission (more are added until it reaches --min-bytes).") var receipts = 500
        @Option(help: "Minimum size of the submission in bytes.") var minBytes = 1_500_000
        @Option(help: "Timed rounds (the best round is reported).") var rounds = 3

        func run() throws {
            var corpus = try BenchCorpus.receipts(count: receipts)
            var size = corpus.reduce(2) { $0 + $1.count + 1 } + 13
            var extra = receipts
            while size < minBytes {
                extra += receipts / 4 + 1
                corpus = try BenchCorpus.receipts(count: extra)
                size = corpus.reduce(2) { $0 + $1.count + 1 } + 13
            }
            var bytes = Array("{\"receipts\":[".utf8)
            for (i, r) in corpus.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes += r
            }
            bytes += Array("]}".utf8)
            let document = try JSONParser().parse(bytes)
            guard let elements = document.root["receipts"]?.elements else { throw ValidationError("no receipts") }
            let claimed = String(repeating: "0123456789abcdef", count: 4)
            print("submission: \(elements.count) receipts, \(bytes.count) bytes (avg \(bytes.count / elements.count) B per receipt); claimed UUID matches no variant")

            var best = Duration.seconds(1_000_000)
            var tried = 0
            var slowest = Duration.zero
            var first = Duration.zero
            for _ in 0 ..< rounds {
                var explainer = UUIDExplainer(submission: document.root)
                tried = 0
                var roundSlowest = Duration.zero
                let start = ContinuousClock.now
                for (i, receipt) in elements.enumerated() {
                    let t0 = ContinuousClock.now
                    let report = explainer.explain(receipt, claimed: claimed)
                    let dt = ContinuousClock.now - t0
                    if i == 0 { first = dt }
                    roundSlowest = max(roundSlowest, dt)
                    guard report.verdict == .unknownMistake else { throw ValidationError("unexpected verdict \(report.verdict)") }
                    tried += report.serializationsTried
                }
                let total = ContinuousClock.now - start
                if total < best { best = total; slowest = roundSlowest }
            }
            func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
            print(String(format: "explain, all receipts:  %.1f ms total, %.3f ms per receipt (%d variants tried per receipt)", ms(best), ms(best) / Double(elements.count), tried / elements.count))
            print(String(format: "first receipt (computes the whole-submission variants): %.1f ms; slowest receipt: %.1f ms", ms(first), ms(slowest)))
            // A receipt explained on its own, with no other receipt to share the submission variants.
            var coldBest = Duration.seconds(1_000_000)
            for _ in 0 ..< rounds {
                let start = ContinuousClock.now
                let report = UUIDExplainer.explain(elements[elements.count / 2], claimed: claimed, submission: document.root)
                coldBest = min(coldBest, ContinuousClock.now - start)
                guard report.verdict == .unknownMistake else { throw ValidationError("unexpected verdict") }
            }
            print(String(format: "one receipt alone with its submission (no sharing): %.1f ms", ms(coldBest)))
        }
    }
}

/// Varied receipts for benchmarks: 1–12 lines, Arabic and escaped text, discounts, several taxes.
enum BenchCorpus {
    static func receipts(count: Int) throws -> [[UInt8]] {
        var generator = SplitMix64(seed: 2026)
        var result: [[UInt8]] = []
        result.reserveCapacity(count)
        let names = ["Coffee beans", "شاي أخضر", "Paper cups \"large\"", "Back\\slash tool", "خبز بلدي", "Mineral water 1.5L", "Olive oil ﺯﻳﺖ", "Tab\there"]
        var previous = ""
        for n in 0 ..< count {
            let lineCount = 1 + Int(generator.next() % 12)
            var lines: [ReceiptLine] = []
            for l in 0 ..< lineCount {
                let quantity = Decimal(1 + Int(generator.next() % 20))
                let price = Decimal(Int(generator.next() % 100_000)) / 100
                var discounts: [Discount] = []
                if generator.next() % 3 == 0 { discounts.append(Discount(amount: ETADecimal(Decimal(Int(generator.next() % 100)) / 10), description: "promo")) }
                var taxes: [ReceiptLine.Tax] = [.vat(14)]
                if generator.next() % 4 == 0 { taxes.insert(ReceiptLine.Tax(taxType: "T2", subType: "Tbl01", rate: 5), at: 0) }
                lines.append(ReceiptLine(internalCode: "SKU-\(n)-\(l)", description: names[Int(generator.next() % UInt64(names.count))], itemCode: String(6_221_218_000_000 + Int(generator.next() % 99_999)), quantity: quantity, unitPrice: price, commercialDiscounts: discounts, taxes: taxes))
            }
            let header = ReceiptHeader(dateTimeIssued: "2026-11-23T10:\(String(format: "%02d", n % 60)):00Z", receiptNumber: "B-\(n)", previousUUID: previous)
            let built = try ReceiptBuilder(header: header, seller: ReceiptExamples.demoSeller(), lines: lines).build()
            previous = built.uuid
            result.append(built.json)
        }
        return result
    }
}

/// A small deterministic random number generator.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
