import ArgumentParser
import EisalCore
import EisalStore
import EisalStoreSQLite
import Foundation

extension Bench {
    /// The store's share of intake and processing: the same calls the platform makes for each
    /// submission, straight to the SQLite store (no HTTP, no validation).
    struct Store: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per-receipt cost of the store calls of intake and processing (SQLite, no HTTP).")

        @Option(help: "Number of submissions.") var submissions = 300
        @Option(help: "Receipts per submission.") var receiptsPerSubmission = 100
        @Option(help: "Durability: full or normal.") var durability = "full"

        func run() async throws {
            let directory = NSTemporaryDirectory() + "eisal-bench-store-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let store = try SQLiteStore(path: directory + "/eisal.sqlite", durability: Durability(rawValue: durability) ?? .full)
            let texts = try BenchCorpus.receipts(count: 200)
            // Each submission as intake stores it: one text, the receipts pointing into it.
            var batches: [(SubmissionRecord, [UInt8], [DocumentRecord])] = []
            var previous = ""
            for s in 0 ..< submissions {
                let submissionUUID = randomID(26)
                var records: [DocumentRecord] = []
                var text = Array(#"{"receipts":["#.utf8)
                for n in 0 ..< receiptsPerSubmission {
                    if n > 0 { text.append(UInt8(ascii: ",")) }
                    let receiptText = texts[(s * receiptsPerSubmission + n) % texts.count]
                    let range = text.count ..< text.count + receiptText.count
                    text += receiptText
                    let uuid = ReceiptUUID.hexDigest(Array("\(s)-\(n)".utf8))
                    records.append(DocumentRecord(
                        uuid: uuid, submissionUUID: submissionUUID, longId: randomID(40), receiptNumber: "B\(s)-\(n)", position: n,
                        sellerRIN: "100000001", sellerName: "Eisal Demo Trading", branchCode: "0", posSerial: "DEMO-POS-1", buyerType: "P", buyerId: "",
                        buyerName: "", receiptType: "s", typeVersion: "1.2", currency: "EGP", totalAmount: "114.00", exchangeRate: "0", paymentMethod: "C",
                        dateTimeIssued: "2026-11-23T10:00:00Z", issuedAt: 1_795_428_000, receivedAt: 1_795_428_100 + Int64(s), previousUUID: previous,
                        referenceUUID: "", raw: [], textRange: range))
                    previous = uuid
                }
                text += Array("]}".utf8)
                batches.append((SubmissionRecord(uuid: submissionUUID, taxpayerRIN: "100000001", clientID: "bench", posSerial: "DEMO-POS-1", submitterName: "bench",
                                                 channel: "POS", receivedAt: 1_795_428_100 + Int64(s), payloadHash: randomID(64),
                                                 receiptCount: records.count), text, records))
            }
            let total = Double(submissions * receiptsPerSubmission)
            var timings: [(String, Double)] = []
            func timed<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
                let cpu0 = ResourceUsage.cpuSeconds()
                let result = try await body()
                let cpu = ResourceUsage.cpuSeconds() - cpu0
                if let i = timings.firstIndex(where: { $0.0 == name }) { timings[i].1 += cpu } else { timings.append((name, cpu)) }
                return result
            }
            for (submission, text, records) in batches {
                _ = try await timed("intake: recentSubmission") { try await store.recentSubmission(taxpayerRIN: "100000001", payloadHash: submission.payloadHash, since: 0) }
                _ = try await timed("intake: commitSubmission") { try await store.commitSubmission(submission, text: text, documents: records, job: .validation) }
            }
            while let job = try await timed("processing: claimJob", { try await store.claimJob(kind: .validation, owner: LeaseOwner(node: "bench", worker: 0), now: 1_795_428_100, leaseSeconds: 60) }) {
                let page = try await timed("processing: receipts(ofSubmission:)") {
                    try await store.receipts(ofSubmission: job.submissionUUID, status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: Int.max / 2, withText: true)
                }
                _ = try await timed("processing: receiptNumberConflicts") { try await store.receiptNumberConflicts(submissionUUID: job.submissionUUID) }
                _ = try await timed("processing: chainKeys") { try await store.chainKeys(uuids: [page.items[0].previousUUID].filter { !$0.isEmpty }) }
                let verdicts = page.items.map { DocumentVerdict(uuid: $0.uuid, status: .valid, errors: []) }
                _ = try await timed("processing: completeJob") { try await store.completeJob(job, verdicts: verdicts, status: .valid, invalidCount: 0, notifications: [], now: 1_795_428_100) }
            }
            print("\(submissions) submissions of \(receiptsPerSubmission) receipts, durability \(durability); CPU per receipt:")
            for (name, cpu) in timings { print(String(format: "  %@ %7.2f µs", name.padding(toLength: 40, withPad: " ", startingAt: 0) as NSString, cpu / total * 1e6)) }
            print(String(format: "  %@ %7.2f µs", "all store calls".padding(toLength: 40, withPad: " ", startingAt: 0) as NSString, timings.reduce(0) { $0 + $1.1 } / total * 1e6))
        }
    }
}

/// A random upper-case identifier of `length` characters (bench data only).
private func randomID(_ length: Int) -> String {
    let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    return String((0 ..< length).map { _ in alphabet.randomElement()! })
}
