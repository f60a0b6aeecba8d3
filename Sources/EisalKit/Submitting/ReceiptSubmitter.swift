// Submits receipts the way the FAQ asks (shared/seeds/integration-practices-faq.txt): in
// batches within the platform's count and size limits, one POST per batch; a batch that got a
// 2xx is never sent again (anti-pattern 3); 422 and 429 are waited out for their Retry-After;
// only transport errors and 5xx are retried, with exponential backoff and jitter, and before such
// a retry the submitter asks whether the batch was in fact accepted (its outcome was unknown).

import EisalCore
import Foundation

/// How ``ReceiptSubmitter`` batches and retries.
public struct SubmitterConfiguration: Sendable {
    /// Most receipts in one submission. Default 500 (the contract's limit).
    public var maximumReceipts: Int = 500
    /// Largest submission body in bytes. Default 1,500,000 (under the contract's 1.5 MB).
    public var maximumBytes: Int = 1_500_000
    /// Attempts of one batch before giving up. Default 8.
    public var maximumAttempts: Int = 8
    /// The first retry delay in seconds, doubled each time, ±20 % jitter. Default 0.5.
    public var initialBackoff: Double = 0.5
    /// The longest retry delay in seconds. Default 30.
    public var maximumBackoff: Double = 30
    /// Batches in flight at once. Default 1 (a POS submits in order).
    public var concurrency: Int = 1
    /// Sleeps (injectable for tests).
    public var sleep: @Sendable (Double) async throws -> Void = { seconds in try await Task.sleep(for: .milliseconds(Int64(seconds * 1000))) }
    /// Told before each wait for a retry: the attempt that failed, why, and the seconds it waits.
    public var onRetry: @Sendable (_ attempt: Int, _ error: EisalClientError, _ wait: Double) -> Void = { _, _, _ in }

    /// A configuration with the defaults above.
    public init() {}
}

/// What became of one batch.
public struct BatchOutcome: Sendable {
    /// The receipts of the batch, in order (their UUIDs).
    public var uuids: [String]
    /// The submission's UUID (nil when no attempt was accepted).
    public var submissionUUID: String?
    /// Receipts the platform accepted (202).
    public var accepted: [AcceptedDocument]
    /// Receipts the platform rejected at once, each with its error.
    public var rejected: [RejectedDocument]
    /// Attempts made (1 when the first POST was answered 202).
    public var attempts: Int
    /// Whether the outcome of an attempt was unknown and the batch was then found accepted.
    public var recoveredAfterUnknownOutcome: Bool
}

/// Why a batch could not be submitted.
public struct SubmitterError: Error, CustomStringConvertible, Sendable {
    /// The batch's receipts.
    public let uuids: [String]
    /// The last error.
    public let underlying: EisalClientError
    /// Attempts made.
    public let attempts: Int
    public var description: String { "\(uuids.count) receipts not submitted after \(attempts) attempt(s): \(underlying)" }
}

/// Submits receipts through an ``EisalClient``.
public struct ReceiptSubmitter: Sendable {
    /// The client the receipts are sent through.
    public let client: EisalClient
    /// How batches are made and retried.
    public let configuration: SubmitterConfiguration

    /// A submitter; `configuration` defaults to ``SubmitterConfiguration``'s defaults.
    public init(client: EisalClient, configuration: SubmitterConfiguration = SubmitterConfiguration()) {
        self.client = client
        self.configuration = configuration
    }

    /// `receipts` split into submissions within the count and byte limits, in order.
    public func batches(_ receipts: [BuiltReceipt]) -> [[BuiltReceipt]] {
        var out: [[BuiltReceipt]] = []
        var current: [BuiltReceipt] = []
        var bytes = 16 // {"receipts":[]}
        for receipt in receipts {
            let size = receipt.json.count + 1
            if !current.isEmpty, current.count >= configuration.maximumReceipts || bytes + size > configuration.maximumBytes {
                out.append(current)
                current = []
                bytes = 16
            }
            current.append(receipt)
            bytes += size
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Submits every receipt, batch by batch (`concurrency` at once); `progress` hears each
    /// batch's outcome as it comes. Throws the first batch that cannot be submitted.
    @discardableResult
    public func submit(_ receipts: [BuiltReceipt], progress: @escaping @Sendable (BatchOutcome) async -> Void = { _ in }) async throws -> [BatchOutcome] {
        let batches = batches(receipts)
        var outcomes = [BatchOutcome?](repeating: nil, count: batches.count)
        try await withThrowingTaskGroup(of: (Int, BatchOutcome).self) { group in
            var next = 0
            func start() {
                let k = next
                next += 1
                group.addTask { (k, try await self.submitBatch(batches[k])) }
            }
            while next < min(batches.count, max(1, configuration.concurrency)) { start() }
            while let (k, outcome) = try await group.next() {
                outcomes[k] = outcome
                await progress(outcome)
                if next < batches.count { start() }
            }
        }
        return outcomes.compactMap { $0 }
    }

    /// One batch: one POST, and the retry rules of the FAQ.
    public func submitBatch(_ batch: [BuiltReceipt]) async throws -> BatchOutcome {
        let uuids = batch.map(\.uuid)
        let texts = batch.map(\.json)
        var attempts = 0
        var unknownOutcome = false
        var lastError = EisalClientError.transport("not attempted")
        while attempts < configuration.maximumAttempts {
            if unknownOutcome, let found = try? await acceptedEarlier(uuids) {
                return BatchOutcome(uuids: uuids, submissionUUID: found.submissionUuid, accepted: found.receipts.map { AcceptedDocument(uuid: $0.uuid, longId: $0.longId, receiptNumber: $0.receiptNumber) },
                                    rejected: [], attempts: attempts, recoveredAfterUnknownOutcome: true)
            }
            attempts += 1
            do {
                let response = try await client.submitReceipts(texts)
                // A 2xx: done, whatever it says; never sent again.
                return BatchOutcome(uuids: uuids, submissionUUID: response.submissionUUID, accepted: response.acceptedDocuments, rejected: response.rejectedDocuments,
                                    attempts: attempts, recoveredAfterUnknownOutcome: false)
            } catch let error as EisalClientError {
                lastError = error
                switch error {
                case let .http(status, _, retryAfter) where status == 422 || status == 429:
                    // Throttled, or the same body seen within the duplicate window: wait as told.
                    if status == 422, unknownOutcome, let found = try? await acceptedEarlier(uuids) {
                        return BatchOutcome(uuids: uuids, submissionUUID: found.submissionUuid, accepted: found.receipts.map { AcceptedDocument(uuid: $0.uuid, longId: $0.longId, receiptNumber: $0.receiptNumber) },
                                            rejected: [], attempts: attempts, recoveredAfterUnknownOutcome: true)
                    }
                    // Never sooner than told; a little later, so that many clients do not return at once.
                    try await wait(Double(retryAfter ?? 1) + abs(jitter(0.25)), attempts, error)
                case let .http(status, _, _) where status >= 500:
                    unknownOutcome = true
                    try await wait(backoff(attempts), attempts, error)
                case .transport:
                    unknownOutcome = true
                    try await wait(backoff(attempts), attempts, error)
                default:
                    // Any other 4xx: the request itself is wrong; sending it again cannot help.
                    throw SubmitterError(uuids: uuids, underlying: error, attempts: attempts)
                }
            }
        }
        throw SubmitterError(uuids: uuids, underlying: lastError, attempts: attempts)
    }

    /// The submission that holds the batch, when an earlier attempt whose answer was lost was
    /// accepted: a submission is committed whole, so the first of its receipts the platform
    /// knows names it. Receipts rejected at intake are never stored, so up to the whole batch
    /// is asked for before concluding it was not accepted.
    func acceptedEarlier(_ uuids: [String]) async throws -> ReceiptSubmissionDetails? {
        for uuid in uuids {
            guard let raw = try await client.receiptRaw(uuid) else { continue }
            guard let submission = raw.root["submissionUUID"]?.string ?? raw.root["receipt"]?["submissionUUID"]?.string else { return nil }
            return try await client.receiptSubmissionAllPages(submission)
        }
        return nil
    }

    func wait(_ seconds: Double, _ attempt: Int, _ error: EisalClientError) async throws {
        guard attempt < configuration.maximumAttempts else { return }
        configuration.onRetry(attempt, error, seconds)
        try await configuration.sleep(seconds)
    }

    func backoff(_ attempt: Int) -> Double {
        min(configuration.maximumBackoff, configuration.initialBackoff * pow(2, Double(attempt - 1))) * (1 + jitter(0.2))
    }

    func jitter(_ fraction: Double) -> Double { Double.random(in: -fraction ... fraction) }
}
