// Delivering notifications to callbacks: the second handler of the LeasedWorker (kind `dispatch`,
// one job per recipient, so each callback has at most one request in flight and one slow
// receiver never holds up another's deliveries). A job runs until nothing is pending or open for
// its recipient:
//   - an open delivery (a retry) goes first, when it is due; otherwise the job waits for it;
//   - else the pending notifications are batched: up to `notify.batch.size`, one path per batch,
//     waiting at most `notify.batch.wait.ms` from the oldest one's creation for the batch to fill;
//   - a delivery is `PUT {base}/notifications/receipts|documents` with `Authorization: ApiKey`,
//     `Content-Type: application/json`, `Accept-Language`, body `{deliveryId, type, count,
//     message[]}`. 200 is delivered; any other status, a timeout or a connection error is retried
//     with the same deliveryId and body after an exponential delay with ±20 % jitter
//     (NotificationSettings.schedule), then failed. Every attempt is logged.
// A crash between a delivery and its record re-sends it with the same deliveryId: at-least-once,
// which the receiver's deduplication by deliveryId makes exactly-once.

import EisalCore
import EisalStore
import Foundation
import Logging
import Metrics

/// Delivers one recipient's notifications.
struct NotificationDispatch<Store: NotificationStore>: LeasedJobHandler {
    let store: Store
    let settings: NotificationSettings
    let policy: CallbackPolicy
    let sealer: CallbackKeySealer
    let client: CallbackClient
    let clock: PlatformClock
    let logger: Logger
    /// A factor in 0.8…1.2 for each retry delay (injectable, so tests can fix it).
    var jitter: @Sendable () -> Double = { Double.random(in: 0.8 ... 1.2) }

    /// Retries due this soon are waited for in the handler; later ones give the job back.
    static var shortWaitMilliseconds: Int64 { 250 }
    /// A job that has delivered this long gives its worker to other recipients (it is claimed
    /// again at once if no other recipient is waiting).
    static var turnMilliseconds: Int64 { 1_000 }

    func handle(_ job: ClaimedJob) async throws -> JobOutcome {
        let recipient = job.subject
        let started = clock.nowMilliseconds()
        while true {
            // A lost lease cancels this handler: stop rather than loop on a job it no longer holds
            // (finishDispatch refuses another owner's job).
            try Task.checkCancellation()
            guard let callback = try await store.callback(taxpayerRIN: recipient) else {
                // The callback was removed: nothing can be delivered.
                let failed = try await store.failPendingNotifications(recipientRIN: recipient, now: clock.nowMilliseconds())
                if failed > 0 { logger.notice("notifications failed: the callback was removed", metadata: ["recipient": "\(recipient)", "notifications": "\(failed)"]) }
                if try await store.finishDispatch(job) { return .completed }
                continue
            }
            let now = clock.nowMilliseconds()
            if now - started >= Self.turnMilliseconds { return .deferred(until: now / 1000) }
            var delivery = try await store.openDelivery(recipientRIN: recipient)
            if let open = delivery, open.nextAttemptAt > now {
                guard open.nextAttemptAt - now <= Self.shortWaitMilliseconds else { return .deferred(until: (open.nextAttemptAt + 999) / 1000) }
                try await Task.sleep(for: .milliseconds(open.nextAttemptAt - now))
                continue
            }
            if delivery == nil {
                let pending = try await store.pendingNotifications(recipientRIN: recipient, upTo: settings.batchSize)
                guard pending.count > 0 else {
                    if try await store.finishDispatch(job) { return .completed }
                    continue
                }
                // Let the batch fill, up to the batch wait from the oldest notification's creation.
                if pending.count < settings.batchSize, let oldest = pending.oldestCreatedAt, now - oldest < Int64(settings.batchWaitMilliseconds) {
                    try await Task.sleep(for: .milliseconds(Int64(settings.batchWaitMilliseconds) - (now - oldest)))
                    continue
                }
                delivery = try await store.openDelivery(recipientRIN: recipient, maximum: settings.batchSize, id: Identifiers.random(20), now: now) { id, notifications in
                    let path = notifications.first?.path ?? .receipts
                    return NotificationDelivery.body(deliveryId: id, type: path.batchType, messages: notifications.map(\.message))
                }
            }
            guard let due = delivery else { continue }
            _ = try await attempt(due, callback)
        }
    }

    /// One attempt, recorded with its outcome.
    func attempt(_ delivery: DeliveryRecord, _ callback: CallbackRecord) async throws -> DeliveryOutcome {
        let started = clock.nowMilliseconds()
        var answer: CallbackAnswer
        do {
            let target = try policy.target(callback.baseURL)
            // Checked again before every delivery: DNS answers change.
            try await policy.checkAddresses(target)
            answer = await client.put(target.url(delivery.path.rawValue), apiKey: try sealer.open(callback.sealedAPIKey), language: callback.language, body: delivery.body)
        } catch {
            answer = CallbackAnswer(status: nil, excerpt: "", body: [], latencyMilliseconds: 0, failure: String(describing: error))
        }
        let attempts = delivery.attempts + 1
        let outcome: DeliveryOutcome
        if answer.status == 200 {
            outcome = .delivered
        } else if attempts >= settings.retryAttempts {
            outcome = .failed
        } else {
            outcome = .retry(at: clock.nowMilliseconds() + Int64(Double(settings.retryDelay(afterAttempts: attempts)) * jitter()))
        }
        let error = answer.status == 200 ? nil : answer.status.map { "HTTP \($0)" + (answer.excerpt.isEmpty ? "" : ": " + answer.excerpt) } ?? answer.failure
        try await store.recordAttempt(DeliveryAttempt(deliveryID: delivery.id, at: started, statusCode: answer.status, latencyMilliseconds: answer.latencyMilliseconds, error: error),
                                      outcome: outcome)
        let label: String
        switch outcome {
        case .delivered:
            label = "delivered"
        case .retry:
            label = "retry"
            logger.warning("delivery failed; it will be retried", metadata: ["delivery": "\(delivery.id)", "recipient": "\(delivery.recipientRIN)", "attempt": "\(attempts)", "error": "\(error ?? "")"])
        case .failed:
            label = "failed"
            logger.error("delivery failed after every retry", metadata: ["delivery": "\(delivery.id)", "recipient": "\(delivery.recipientRIN)", "attempts": "\(attempts)", "error": "\(error ?? "")"])
        }
        Counter(label: "eisal_deliveries_total", dimensions: [("outcome", label)]).increment()
        Timer(label: "eisal_delivery_seconds", preferredDisplayUnit: .seconds).recordMilliseconds(answer.latencyMilliseconds)
        return outcome
    }
}
