// The fallback when no callback arrives (FAQ: register a callback; poll only as a fallback, with a
// wait sized to the submission): wait before the first look in proportion to the submission's
// size, then look at Get Receipt Submission with capped backoff until its status is final.
// A `NotFound` right after the 202 counts as "not yet" for a bounded time. Never per receipt
// (anti-pattern 2): one call per look, the whole submission.

import EisalCore
import Foundation

/// How ``SubmissionPoller`` waits.
public struct PollerConfiguration: Sendable {
    /// Wait before the first look: `firstWait + perReceipt × receipts` seconds. Defaults 0.5 and 0.002.
    public var firstWait: Double = 0.5
    /// Seconds added to the first wait per receipt of the submission. Default 0.002.
    public var perReceipt: Double = 0.002
    /// Later looks back off by doubling up to this many seconds. Default 10.
    public var maximumInterval: Double = 10
    /// How long a `NotFound` is read as "not yet". Default 30 s.
    public var notFoundGrace: Double = 30
    /// Give up after this many seconds. Default 600.
    public var timeout: Double = 600
    /// Page size of the final read. Default 100 (the contract's largest).
    public var pageSize: Int = 100
    /// Sleeps (injectable for tests).
    public var sleep: @Sendable (Double) async throws -> Void = { seconds in try await Task.sleep(for: .seconds(seconds)) }

    /// A configuration with the defaults above.
    public init() {}
}

/// Why polling stopped without a final status.
public struct PollerError: Error, CustomStringConvertible, Sendable {
    /// The submission that was polled.
    public let submissionUUID: String
    /// Why polling stopped.
    public let reason: String
    public var description: String { "submission \(submissionUUID): \(reason)" }
}

/// Waits for a receipt submission's final status.
public struct SubmissionPoller: Sendable {
    /// The client the submission is read through.
    public let client: EisalClient
    /// How it waits.
    public let configuration: PollerConfiguration

    /// A poller; `configuration` defaults to ``PollerConfiguration``'s defaults.
    public init(client: EisalClient, configuration: PollerConfiguration = PollerConfiguration()) {
        self.client = client
        self.configuration = configuration
    }

    /// Whether `status` is a submission's final status.
    public static func isFinal(_ status: String) -> Bool {
        ["valid", "invalid", "partiallyvalid", "partially valid"].contains(status.lowercased())
    }

    /// The submission once final, with every page of its receipts; `looks` counts the calls made.
    public func waitForFinal(_ submissionUUID: String, receipts: Int) async throws -> (details: ReceiptSubmissionDetails, looks: Int) {
        let started = ContinuousClock.now
        func elapsed() -> Double { (ContinuousClock.now - started) / .seconds(1) }
        var waited = configuration.firstWait + configuration.perReceipt * Double(receipts)
        var looks = 0
        var interval = max(0.2, waited / 2)
        while true {
            try await configuration.sleep(waited)
            looks += 1
            waited = interval
            interval = min(configuration.maximumInterval, interval * 2)
            do {
                let page = try await client.receiptSubmission(submissionUUID, pageNo: 1, pageSize: configuration.pageSize)
                if Self.isFinal(page.status) {
                    if page.metadata.totalPages <= 1 { return (page, looks) }
                    return (try await client.receiptSubmissionAllPages(submissionUUID, pageSize: configuration.pageSize), looks + page.metadata.totalPages - 1)
                }
            } catch EisalClientError.http(status: 404, _, _) where elapsed() < configuration.notFoundGrace {
                // Right after the 202 a platform may not show the submission yet.
            } catch let EisalClientError.http(status: 429, _, retryAfter) {
                // Throttled: look again no sooner than told.
                waited = max(waited, min(configuration.maximumInterval * 6, Double(max(1, retryAfter ?? 1))))
            } catch let error as EisalClientError {
                // No answer or a 5xx: the verdict is still coming; look again later, within the timeout.
                guard error.isRetryable else { throw error }
            }
            guard elapsed() < configuration.timeout else { throw PollerError(submissionUUID: submissionUUID, reason: "no final status after \(Int(elapsed())) s") }
        }
    }
}
