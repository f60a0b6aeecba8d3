// Asynchronous full validation of an accepted submission: one handler of the ``LeasedWorker``.
// It runs EisalCore's validator and the platform's own rules on every receipt, as of the time of
// reception, and commits all verdicts and the submission's status in one transaction that also
// removes the job, only while the lease is held. A worker killed mid-job commits nothing; the job
// is done again, so every accepted receipt gets exactly one committed verdict.
//
// Verdicts do not depend on processing timing (issue 14): receipts are judged in order within the
// job (sales before the returns of the same submission that refer to them), and a receipt whose
// rules depend on an earlier receipt still awaiting its verdict makes the job wait for it
// (``SubmissionFacts``), up to ``PlatformConfiguration/dependencyWaitSeconds`` after reception;
// past that bound a pending reference counts as not valid and a pending number as taken.

import EisalCore
import EisalStore
import Foundation
import Logging

/// Validates the receipts of one submission job.
struct ReceiptValidation<Store: PlatformStore>: LeasedJobHandler {
    let store: Store
    let configuration: PlatformConfiguration
    let logger: Logger
    /// Submissions this node accepted, handed over without a read from the store.
    let handoff: SubmissionHandoff

    func handle(_ job: ClaimedJob) async throws -> JobOutcome {
        let handed = handoff.take(job.subject)
        let receipts: [ReceiptRecord]
        if let handed {
            receipts = handed.records
        } else {
            receipts = try await store.receipts(ofSubmission: job.subject, status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: Int.max / 2, withText: true).items
        }
        let facts = try await SubmissionFacts.read(receipts, submission: job.subject, store: store)
        let now = configuration.clock.now()
        let waited = now - job.createdAt
        if waited < configuration.dependencyWaitSeconds, let waiting = receipts.lazy.compactMap({ facts.pendingDependency(of: $0) }).first {
            // Decide later, when the earlier verdict exists. Seconds are the clock's grain.
            if let handed { handoff.put(job.subject, handed) }
            logger.debug("submission waits for an earlier verdict", metadata: ["submission": "\(job.subject)", "waiting for": "\(waiting)"])
            return .deferred(until: now + 1)
        }
        let rules = PlatformRules(store: store, facts: facts, receipts: receipts)
        var context = ValidationContext(now: UTCDateTime(secondsSinceEpoch: now))
        context.submissionWindow = configuration.submissionWindow
        context.roundingTolerance = Decimal(string: configuration.roundingTolerance) ?? Decimal(string: "0.5")!

        // Returns referring to a receipt of this submission are judged after every other receipt.
        func refersInside(_ r: ReceiptRecord) -> Bool { !r.referenceUUID.isEmpty && facts.positions[r.referenceUUID] != nil }
        let order = receipts.indices.filter { !refersInside(receipts[$0]) } + receipts.indices.filter { refersInside(receipts[$0]) }
        var lookup: [String: ReferencedReceipt] = [:]
        for r in receipts {
            guard let sale = facts.reference(of: r) else { continue }
            // Another seller's receipt is refused whatever its status; a pending one past the wait bound counts as not valid.
            let valid = sale.sellerRIN != r.sellerRIN ? true : sale.status == .valid
            lookup[sale.uuid] = Self.referenced(sale, valid: valid)
        }
        let validator = ReceiptValidator()
        var errorsByIndex = [[ETAError]](repeating: [], count: receipts.count)
        var insideDone = false
        for k in order {
            let record = receipts[k]
            if refersInside(record), !insideDone {
                // Every other receipt of the submission has its verdict: returns may now see them.
                for (j, other) in receipts.enumerated() where !refersInside(other) {
                    lookup[other.uuid] = Self.referenced(other, valid: errorsByIndex[j].isEmpty)
                }
                insideDone = true
            }
            if configuration.processingDelayMilliseconds > 0 { try await Task.sleep(for: .milliseconds(configuration.processingDelayMilliseconds)) }
            var receiptContext = context
            // The platform validates as of reception, not as of processing (a queue must not make receipts late).
            receiptContext.now = UTCDateTime(secondsSinceEpoch: record.receivedAt)
            let known = lookup
            receiptContext.referencedReceipt = { known[$0] }
            var errors: [ETAError]
            do {
                let node: JSONNode
                if let handed { node = handed.receipts[k] } else { node = try JSONParser().parse(record.raw).root }
                // Intake accepted these exact bytes only after the structure rules passed.
                errors = validator.validate(node, context: receiptContext, structureChecked: true).errors
            } catch {
                errors = [ETAError(code: "Structure.Type", message: "The stored receipt could not be parsed: \(error.message)", target: "receipt", propertyPath: "")]
            }
            errors += try await rules.errors(record, numberTaken: facts.numberConflicts[record.uuid] != nil)
            errorsByIndex[k] = errors
        }
        var verdicts: [ReceiptVerdict] = []
        verdicts.reserveCapacity(receipts.count)
        var invalid = 0
        for (record, errors) in zip(receipts, errorsByIndex) {
            if !errors.isEmpty { invalid += 1 }
            let text = errors.isEmpty ? "[]" : JSONWriter().string(try JSONValueEncoder().encode(errors))
            verdicts.append(ReceiptVerdict(uuid: record.uuid, status: errors.isEmpty ? .valid : .invalid, errors: text))
        }
        let status: SubmissionStatus = invalid == 0 ? .valid : (invalid == receipts.count || !configuration.emitPartiallyValid ? .invalid : .partiallyValid)
        guard try await store.completeJob(job, verdicts: verdicts, status: status, invalidCount: invalid, now: configuration.clock.now()) else { return .leaseLost }
        logger.info("submission validated", metadata: ["submission": "\(job.subject)", "status": "\(status.rawValue)", "invalid": "\(invalid)", "receipts": "\(receipts.count)"])
        return .completed
    }

    /// A receipt as the return rule sees it.
    static func referenced(_ r: ReceiptRecord, valid: Bool) -> ReferencedReceipt {
        ReferencedReceipt(uuid: r.uuid, sellerRIN: r.sellerRIN, dateTimeIssued: UTCDateTime(secondsSinceEpoch: r.issuedAt),
                          totalAmount: Decimal(string: r.totalAmount) ?? 0, isValidSale: valid && ReceiptKind(code: r.receiptType) == .sale)
    }
}
