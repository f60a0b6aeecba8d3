// Asynchronous full validation: workers claim jobs by lease, run EisalCore's validator and the
// platform's own rules on every receipt of the submission, and commit all verdicts and the
// submission's status in one transaction. A worker killed mid-job never commits; its lease
// expires and another worker (or the restarted process) does the job again, so every accepted
// receipt gets exactly one committed verdict.
//
// Platform rules (spec/receipt-structure.md "Chain and correction rules"): receipt number
// unique per taxpayer/branch/POS; previousUUID names an earlier receipt of the same POS ("" only
// for its first); returns reference an existing valid sale of the same seller, ≤ 540 days old,
// not exceeded in amount (EisalCore's Ref.ReturnReference with a resolver).

import EisalCore
import EisalStore
import Foundation
import Logging
import ServiceLifecycle

/// Platform rules beyond EisalCore's validator.
enum PlatformRule {
    static let receiptNumberUnique = "Platform.ReceiptNumberUnique"
    static let previousUUIDChain = "Platform.PreviousUUIDChain"
}

/// Runs full validation of accepted submissions.
struct ProcessingService<Store: PlatformStore>: Service {
    let store: Store
    let configuration: PlatformConfiguration
    let logger: Logger
    /// Submissions this node accepted, handed over without a read from the store.
    let handoff: SubmissionHandoff
    /// Wakes idle workers when this node commits a job.
    let signal: JobSignal
    let owner = "worker-" + Identifiers.random(10)

    func run() async throws {
        guard configuration.processingWorkers > 0 else {
            // Intake-only node: stay up (a finished service would stop the whole group).
            try? await gracefulShutdown()
            return
        }
        await withDiscardingTaskGroup { group in
            for n in 0 ..< configuration.processingWorkers {
                group.addTask { await workLoop(index: n) }
            }
        }
    }

    func workLoop(index: Int) async {
        let me = owner + "-\(index)"
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                if let job = try await store.claimJob(owner: me, now: configuration.clock.now(), leaseSeconds: configuration.jobLeaseSeconds) {
                    try await process(job)
                    continue
                }
            } catch {
                logger.error("processing failed", metadata: ["error": "\(error)"])
            }
            await signal.wait(timeout: .milliseconds(configuration.workerPollMilliseconds))
        }
    }

    func process(_ job: ClaimedJob) async throws {
        let handed = handoff.take(job.submissionUUID)
        let receipts: [ReceiptRecord]
        if let handed {
            receipts = handed.records
        } else {
            receipts = try await store.receipts(ofSubmission: job.submissionUUID, status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: Int.max / 2, withText: true).items
        }
        // Prefetch the receipts that returns refer to.
        let references = Array(Set(receipts.map(\.referenceUUID).filter { !$0.isEmpty }))
        var referenced: [String: ReferencedReceipt] = [:]
        for r in try await store.receipts(uuids: references) {
            referenced[r.uuid] = ReferencedReceipt(uuid: r.uuid, sellerRIN: r.sellerRIN, dateTimeIssued: UTCDateTime(secondsSinceEpoch: r.issuedAt),
                                                   totalAmount: Decimal(string: r.totalAmount) ?? 0,
                                                   isValidSale: r.status == .valid && ReceiptKind(code: r.receiptType) == .sale)
        }
        let lookup = referenced
        var context = ValidationContext(now: UTCDateTime(secondsSinceEpoch: configuration.clock.now()))
        context.submissionWindow = configuration.submissionWindow
        context.roundingTolerance = Decimal(string: configuration.roundingTolerance) ?? Decimal(string: "0.5")!
        context.referencedReceipt = { lookup[$0] }
        // The platform validates as of reception, not as of processing (a queue must not make receipts late).
        let validator = ReceiptValidator()
        var verdicts: [ReceiptVerdict] = []
        var invalid = 0
        let uuidsInSubmission = Dictionary(uniqueKeysWithValues: receipts.map { ($0.uuid, $0.position) })
        // Platform rules, batched: one query for receipt numbers, one for the previousUUID chain.
        let numberConflicts = try await store.receiptNumberConflicts(submissionUUID: job.submissionUUID)
        let chain = try await store.chainKeys(uuids: Array(Set(receipts.map(\.previousUUID).filter { !$0.isEmpty && uuidsInSubmission[$0] == nil })))
        // First position of each POS (per seller) in this submission.
        var firstPosition: [POSKey: Int] = [:]
        for record in receipts {
            let key = POSKey(posSerial: record.posSerial, sellerRIN: record.sellerRIN)
            firstPosition[key] = min(firstPosition[key] ?? .max, record.position)
        }
        for (k, record) in receipts.enumerated() {
            if configuration.processingDelayMilliseconds > 0 { try await Task.sleep(for: .milliseconds(configuration.processingDelayMilliseconds)) }
            var receiptContext = context
            receiptContext.now = UTCDateTime(secondsSinceEpoch: record.receivedAt)
            var errors: [ETAError]
            do {
                let node: JSONNode
                if let handed { node = handed.receipts[k] } else { node = try JSONParser().parse(record.raw).root }
                // Intake accepted these exact bytes only after the structure rules passed.
                errors = validator.validate(node, context: receiptContext, structureChecked: true).errors
            } catch {
                errors = [ETAError(code: "Structure.Type", message: "The stored receipt could not be parsed: \(error.message)", target: "receipt", propertyPath: "")]
            }
            let samePOSBefore = (firstPosition[POSKey(posSerial: record.posSerial, sellerRIN: record.sellerRIN)] ?? record.position) < record.position
            errors += try await platformRules(record, positions: uuidsInSubmission, samePOSBefore: samePOSBefore, numberTaken: numberConflicts.contains(record.uuid), chain: chain)
            if !errors.isEmpty { invalid += 1 }
            let text = errors.isEmpty ? "[]" : JSONWriter().string(try JSONValueEncoder().encode(errors))
            verdicts.append(ReceiptVerdict(uuid: record.uuid, status: errors.isEmpty ? .valid : .invalid, errors: text))
        }
        let status: SubmissionStatus = invalid == 0 ? .valid : (invalid == receipts.count || !configuration.emitPartiallyValid ? .invalid : .partiallyValid)
        let committed = try await store.completeJob(job, verdicts: verdicts, status: status, invalidCount: invalid, now: configuration.clock.now())
        if committed {
            logger.info("submission validated", metadata: ["submission": "\(job.submissionUUID)", "status": "\(status.rawValue)", "invalid": "\(invalid)", "receipts": "\(receipts.count)"])
        } else {
            logger.warning("lease lost; another worker completes the job", metadata: ["submission": "\(job.submissionUUID)"])
        }
    }

    func platformRules(_ r: ReceiptRecord, positions: [String: Int], samePOSBefore: Bool, numberTaken: Bool, chain: [String: (posSerial: String, sellerRIN: String)]) async throws -> [ETAError] {
        var errors: [ETAError] = []
        if numberTaken {
            errors.append(ETAError(code: PlatformRule.receiptNumberUnique, message: "Receipt number '\(r.receiptNumber)' was already used by this POS in branch '\(r.branchCode)'.", target: "receiptNumber", propertyPath: "header.receiptNumber"))
        }
        if r.previousUUID.isEmpty {
            let hasEarlier = try await store.posHasReceipts(posSerial: r.posSerial, taxpayerRIN: r.sellerRIN, storedBefore: r.uuid)
            if samePOSBefore || hasEarlier {
                errors.append(ETAError(code: PlatformRule.previousUUIDChain, message: "header.previousUUID is empty but POS '\(r.posSerial)' has issued receipts before: it must be the UUID of the previous receipt of this POS.", target: "previousUUID", propertyPath: "header.previousUUID"))
            }
        } else if positions[r.previousUUID] == nil {
            let previous = chain[r.previousUUID]
            if previous == nil || previous?.posSerial != r.posSerial || previous?.sellerRIN != r.sellerRIN {
                errors.append(ETAError(code: PlatformRule.previousUUIDChain, message: "header.previousUUID \(r.previousUUID) is not a receipt of POS '\(r.posSerial)'.", target: "previousUUID", propertyPath: "header.previousUUID"))
            }
        }
        return errors
    }
}

/// A POS of a seller (the previousUUID chain runs per POS).
struct POSKey: Hashable {
    var posSerial: String
    var sellerRIN: String
}
