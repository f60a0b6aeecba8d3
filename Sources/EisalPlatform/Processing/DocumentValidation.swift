// Asynchronous full validation of an accepted submission, for any family: one handler of the
// ``LeasedWorker``. It loads the job's documents (from this node's handoff, or from the store),
// has the family judge them, and commits all verdicts and the submission's status in one
// transaction that also removes the job, only while the lease is held. A worker killed mid-job
// commits nothing; the job is done again, so every accepted document gets exactly one committed
// verdict. A family that cannot decide yet (an earlier verdict is pending) defers the job.

import EisalCore
import EisalStore
import Logging

/// Validates the documents of one submission job of `Family`.
struct DocumentValidation<Store: PlatformStore, Family: PlatformFamily>: LeasedJobHandler {
    let store: Store
    let family: Family
    /// Report a mixed submission as `PartiallyValid` instead of `Invalid`.
    let emitPartiallyValid: Bool
    let clock: PlatformClock
    let logger: Logger
    /// Submissions this node accepted, handed over without a read from the store.
    let handoff: SubmissionHandoff
    /// Wakes this node's notification dispatchers when verdicts queued notifications.
    var dispatchSignal: JobSignal?

    func handle(_ job: ClaimedJob) async throws -> JobOutcome {
        let handed = handoff.take(job.subject)
        let documents: [DocumentRecord]
        if let handed {
            documents = handed.records
        } else {
            documents = try await store.receipts(ofSubmission: job.subject, status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: Int.max / 2, withText: true).items
        }
        switch try await family.judge(documents, nodes: handed?.receipts, job: job) {
        case let .wait(until, reason):
            if let handed { handoff.put(job.subject, handed) }
            logger.debug("submission waits for an earlier verdict", metadata: ["submission": "\(job.subject)", "waiting for": "\(reason)"])
            return .deferred(until: until)
        case let .verdicts(errors):
            var verdicts: [DocumentVerdict] = []
            verdicts.reserveCapacity(documents.count)
            var invalid = 0
            for (document, errors) in zip(documents, errors) {
                if !errors.isEmpty { invalid += 1 }
                verdicts.append(DocumentVerdict(uuid: document.uuid, status: errors.isEmpty ? .valid : .invalid, errors: errors))
            }
            let status: SubmissionStatus = invalid == 0 ? .valid : (invalid == documents.count || !emitPartiallyValid ? .invalid : .partiallyValid)
            // Notifications only for taxpayers with a callback: none are built, written or
            // signalled for the others (most taxpayers, when nobody registered one).
            var parties = Set(documents.map(\.sellerRIN))
            for d in documents where !d.buyerId.isEmpty { parties.insert(d.buyerId) }
            let recipients = try await store.recipientsWithCallbacks(among: parties)
            let notifications = family.notifications(for: documents, errors: errors, at: clock.nowMilliseconds(), recipients: recipients)
            guard try await store.completeJob(job, verdicts: verdicts, status: status, invalidCount: invalid, notifications: notifications, now: clock.now()) else {
                return .leaseLost
            }
            if !notifications.isEmpty { dispatchSignal?.notify() }
            logger.info("submission validated", metadata: ["submission": "\(job.subject)", "family": "\(family.family)", "status": "\(status.rawValue)",
                                                          "invalid": "\(invalid)", "documents": "\(documents.count)"])
            return .completed
        }
    }
}
