// The cancel/reject life cycle of invoice documents (ETA SDK /einvoicingapi/02-cancel-document,
// 03-reject-document, 12-decline-cancellation, 13-decline-rejection; spec/documents-api.md):
//   PUT documents/state/{uuid}/state                 {"status": "cancelled"|"rejected", "reason"}
//   PUT documents/state/{uuid}/decline/cancelation   (single "l", as documented; "cancellation" too)
//   PUT documents/state/{uuid}/decline/rejection
// Who: the issuer cancels and declines a rejection; the receiver rejects and declines a
// cancellation; anyone else gets 404 (tenant isolation), the wrong party 403 `Forbidden`.
// Refusals are 400 `BadRequest` (the documented code for "cannot fulfil; do not repeat
// unchanged") with one detail whose code says which rule refused (stand-in names below).
//
// Stand-in decisions (the SDK gives the two-step idea, not the timing; issue 17 gives the
// notifications):
// - Cancel: the document stays Valid with cancelRequestDate set, and becomes Cancelled at
//   cancelRequestDelayedDate = request + declineCancellationWindow unless the receiver declines
//   before then. A scheduled job (kind `document-state`, on the generic worker) applies it and
//   sends `document-cancelled` (status Cancelled) to the receiver. (Odoo PR odoo/odoo#170406
//   observed the scheduled delay.)
// - Reject: effective at once (status Rejected, `document-rejected` to the issuer: the seed's
//   "status at the moment of sending" is Rejected); the issuer may decline until
//   rejectRequestDelayedDate = request + declineRejectionWindow, which makes it Valid again. (The
//   Decline Rejection page: "returns to Valid; otherwise stays Rejected".)
// - Windows are workflow parameters (DocumentWorkflow), 72 h each by default — placeholders
//   from MyInvois [ANALOG], ETA publishes none. The cancel and reject windows run from the
//   document's reception.
// - Once only: a document is cancelled at most once and rejected at most once (a declined
//   request cannot be repeated); the receiver cannot reject while a cancellation is pending.
// - `reason` is required (1–300 characters, MyInvois's limit [ANALOG]).

import EisalCore
import EisalStore
import Foundation
import Hummingbird

/// The workflow parameters of the document types (Get Document Type's `workflowParameters`).
public struct DocumentWorkflow: Sendable, Hashable {
    /// How long after reception the issuer may cancel, in seconds. (`documents.cancel.window.hours`)
    public var cancellationWindow: Int64 = 72 * 3600
    /// How long after reception the receiver may reject. (`documents.reject.window.hours`)
    public var rejectionWindow: Int64 = 72 * 3600
    /// How long the receiver may decline a cancellation (its delay). (`documents.decline.cancel.window.hours`)
    public var declineCancellationWindow: Int64 = 72 * 3600
    /// How long the issuer may decline a rejection. (`documents.decline.reject.window.hours`)
    public var declineRejectionWindow: Int64 = 72 * 3600

    public init() {}

    /// As Get Document Type lists them (names are Eisal's: ETA does not publish its own).
    var parameters: [(name: String, seconds: Int64)] {
        [("cancellationWindow", cancellationWindow), ("rejectionWindow", rejectionWindow),
         ("declineCancellationWindow", declineCancellationWindow), ("declineRejectionWindow", declineRejectionWindow)]
    }
}

/// Decides and applies life-cycle changes.
struct DocumentLifecycleService<Store: PlatformStore>: Sendable {
    let store: Store
    let workflow: DocumentWorkflow
    let clock: PlatformClock
    /// Wakes the dispatchers when a change wrote notifications.
    let dispatchSignal: JobSignal

    enum Request: String, Sendable {
        case cancel, reject, declineCancellation, declineRejection

        /// Which party may make it.
        var byIssuer: Bool { self == .cancel || self == .declineRejection }
        var name: String {
            switch self {
            case .cancel: "cancel"
            case .reject: "reject"
            case .declineCancellation: "decline the cancellation of"
            case .declineRejection: "decline the rejection of"
            }
        }
    }

    /// Why a request was refused.
    enum Refusal: Sendable {
        case notFound, wrongParty(String), rule(code: String, message: String)
    }

    static func refused(_ code: String, _ message: String) -> (DocumentTransition?, Refusal?) { (nil, .rule(code: code, message: message)) }

    /// Applies `request` by `principal` to document `uuid`, or throws the contract error.
    func apply(_ request: Request, uuid: String, reason: String?, principal: Principal) async throws {
        let now = clock.now()
        let workflow = self.workflow
        let milliseconds = clock.nowMilliseconds()
        let refusal = try await store.transitionDocument(uuid: uuid, now: now) { record, lifecycle -> (DocumentTransition?, Refusal?) in
            guard record.family == DocumentFamily.invoice.name else { return (nil, .notFound) }
            // A receiver sees a document once it was validated Valid (as in Get Document and Search).
            let isIssuer = principal.mayActFor(record.sellerRIN)
            let isReceiver = DocumentVisibility.receiverMayAct(record, principal)
            guard isIssuer || isReceiver else { return (nil, .notFound) }
            guard request.byIssuer ? isIssuer : isReceiver else {
                return (nil, .wrongParty("Only the \(request.byIssuer ? "issuer" : "receiver") of document \(record.uuid) may \(request.name) it."))
            }
            var next = lifecycle
            switch request {
            case .cancel:
                guard lifecycle.cancelRequestedAt == nil else {
                    return Self.refused("CancellationAlreadyRequested", "A cancellation of this document was already requested on \(Self.date(lifecycle.cancelRequestedAt!)); a document is cancelled at most once.")
                }
                guard record.status == .valid else { return Self.refused("DocumentNotValid", "Only a Valid document can be cancelled; this one is \(record.status.rawValue).") }
                guard now <= record.receivedAt + workflow.cancellationWindow else {
                    return Self.refused("CancellationWindowClosed", "The cancellation window (\(workflow.cancellationWindow / 3600) h after reception) closed on \(Self.date(record.receivedAt + workflow.cancellationWindow)): issue a credit note instead.")
                }
                next.cancelRequestedAt = now
                next.cancelEffectiveAt = now + workflow.declineCancellationWindow
                next.cancelReason = reason
                return (DocumentTransition(lifecycle: next, scheduleAt: next.cancelEffectiveAt), nil)
            case .reject:
                guard lifecycle.rejectRequestedAt == nil else {
                    return Self.refused("RejectionAlreadyRequested", "This document was already rejected on \(Self.date(lifecycle.rejectRequestedAt!)); a document is rejected at most once.")
                }
                guard record.status == .valid else { return Self.refused("DocumentNotValid", "Only a Valid document can be rejected; this one is \(record.status.rawValue).") }
                // Requested and not declined: pending, or due and about to be applied by its job.
                if lifecycle.cancelRequestedAt != nil, lifecycle.cancelDeclinedAt == nil {
                    return Self.refused("CancellationPending", "The issuer asked to cancel this document on \(Self.date(lifecycle.cancelRequestedAt!)); decline the cancellation first to reject it.")
                }
                guard now <= record.receivedAt + workflow.rejectionWindow else {
                    return Self.refused("RejectionWindowClosed", "The rejection window (\(workflow.rejectionWindow / 3600) h after reception) closed on \(Self.date(record.receivedAt + workflow.rejectionWindow)): ask the issuer for a credit note instead.")
                }
                next.rejectRequestedAt = now
                next.rejectEffectiveAt = now + workflow.declineRejectionWindow
                next.rejectReason = reason
                let notification = Self.notification("document-rejected", record, status: .rejected, to: record.sellerRIN, at: milliseconds)
                return (DocumentTransition(status: .rejected, lifecycle: next, notifications: [notification], scheduleAt: nil), nil)
            case .declineCancellation:
                guard let requested = lifecycle.cancelRequestedAt, lifecycle.cancelDeclinedAt == nil else {
                    return Self.refused(lifecycle.cancelDeclinedAt == nil ? "NoCancellationRequested" : "CancellationAlreadyDeclined",
                                        lifecycle.cancelDeclinedAt == nil ? "No cancellation of this document was requested." : "The cancellation was already declined.")
                }
                guard record.status == .valid, now < (lifecycle.cancelEffectiveAt ?? 0) else {
                    return Self.refused("DeclineWindowClosed", "The cancellation requested on \(Self.date(requested)) took effect on \(Self.date(lifecycle.cancelEffectiveAt ?? 0)); it can no longer be declined.")
                }
                next.cancelDeclinedAt = now
                return (DocumentTransition(lifecycle: next, scheduleAt: nil), nil)
            case .declineRejection:
                guard let requested = lifecycle.rejectRequestedAt, lifecycle.rejectDeclinedAt == nil, record.status == .rejected else {
                    return Self.refused(lifecycle.rejectDeclinedAt == nil ? "NoRejectionRequested" : "RejectionAlreadyDeclined",
                                        lifecycle.rejectDeclinedAt == nil ? "This document was not rejected." : "The rejection was already declined.")
                }
                guard now < (lifecycle.rejectEffectiveAt ?? 0) else {
                    return Self.refused("DeclineWindowClosed", "The rejection of \(Self.date(requested)) became final on \(Self.date(lifecycle.rejectEffectiveAt ?? 0)); it can no longer be declined.")
                }
                next.rejectDeclinedAt = now
                return (DocumentTransition(status: .valid, lifecycle: next, scheduleAt: nil), nil)
            }
        }
        switch refusal {
        case nil:
            throw PlatformError.notFound("Document \(uuid)", target: "uuid")
        case .some(nil):
            if request == .reject { dispatchSignal.notifyAll() }
        case let .some(.some(refusal)):
            switch refusal {
            case .notFound:
                throw PlatformError.notFound("Document \(uuid)", target: "uuid")
            case let .wrongParty(message):
                throw PlatformError(.forbidden, code: .forbidden, message: message, target: "uuid")
            case let .rule(code, message):
                throw PlatformError(.badRequest, code: .badRequest, message: message, target: uuid,
                                    details: [ETAError(code: code, message: message, target: uuid)])
            }
        }
    }

    /// Applies a due cancellation (the `document-state` job of `uuid`); returns when to look again, nil when done.
    func settle(uuid: String) async throws -> Int64? {
        let now = clock.now(), milliseconds = clock.nowMilliseconds()
        let next = try await store.transitionDocument(uuid: uuid, now: now) { record, lifecycle -> (DocumentTransition?, Int64?) in
            guard lifecycle.cancelRequestedAt != nil, lifecycle.cancelDeclinedAt == nil, let effective = lifecycle.cancelEffectiveAt, record.status == .valid else {
                return (DocumentTransition(lifecycle: lifecycle, scheduleAt: nil), nil) // nothing (left) to apply
            }
            guard effective <= now else { return (nil, effective) }
            var notifications: [NotificationRecord] = []
            if !record.buyerId.isEmpty, record.buyerType == "B" {
                notifications.append(Self.notification("document-cancelled", record, status: .cancelled, to: record.buyerId, at: milliseconds))
            }
            return (DocumentTransition(status: .cancelled, lifecycle: lifecycle, notifications: notifications, scheduleAt: nil), nil)
        }
        if case let .some(.some(later)) = next { return later }
        dispatchSignal.notifyAll()
        return nil
    }

    static func notification(_ type: String, _ d: DocumentRecord, status: DocumentStatus, to recipient: String, at milliseconds: Int64) -> NotificationRecord {
        let message = NotificationMessage(type: type, uuid: d.uuid, submissionUUID: d.submissionUUID, longId: d.longId, internalId: d.receiptNumber, status: status.rawValue)
        return NotificationRecord(recipientRIN: recipient, path: .documents, type: type, documentUUID: d.uuid, message: message.jsonBytes(), createdAt: milliseconds)
    }

    static func date(_ seconds: Int64) -> String { UTCDateTime(secondsSinceEpoch: seconds).iso8601 }
}

/// Who counts as a document's receiver (stand-in decision): a business (type B) other than the
/// issuer, named by its RIN, once the document was validated Valid. A P or F receiver's id is a
/// national id or free text, not a taxpayer: it never gives a taxpayer access.
enum DocumentVisibility {
    static func isBusinessReceiver(_ r: DocumentRecord) -> Bool { r.buyerType == "B" && !r.buyerId.isEmpty && r.buyerId != r.sellerRIN }

    static func receiverMayAct(_ r: DocumentRecord, _ principal: Principal) -> Bool {
        isBusinessReceiver(r) && principal.mayActFor(r.buyerId) && r.status != .submitted && r.status != .invalid
    }
}

/// The `document-state` jobs: a requested cancellation takes effect at its delayed date.
struct DocumentStateJob<Store: PlatformStore>: LeasedJobHandler {
    let lifecycle: DocumentLifecycleService<Store>

    func handle(_ job: ClaimedJob) async throws -> JobOutcome {
        if let later = try await lifecycle.settle(uuid: job.subject) { return .deferred(until: later) }
        return .completed
    }
}

/// The state routes.
struct DocumentStateRoutes<Store: PlatformStore> {
    let lifecycle: DocumentLifecycleService<Store>

    func register(on group: RouterGroup<EisalRequestContext>) {
        group.put("documents/state/{uuid}/state") { request, context -> Response in
            let principal = try context.requirePrincipal()
            let body = try await request.body.collect(upTo: 64 * 1024)
            let node = try? JSONParser().parse(Array(buffer: body)).root
            guard let status = node?["status"]?.string?.lowercased(), status == "cancelled" || status == "rejected" else {
                throw PlatformError(.badRequest, code: .badArgument, message: "The body must be {\"status\": \"cancelled\" or \"rejected\", \"reason\": \"…\"}.", target: "status")
            }
            let reason = node?["reason"]?.string?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !reason.isEmpty, reason.count <= 300 else {
                throw PlatformError(.badRequest, code: .badArgument, message: "reason is required: 1 to 300 characters saying why.", target: "reason")
            }
            try await lifecycle.apply(status == "cancelled" ? .cancel : .reject, uuid: try context.parameters.require("uuid"), reason: reason, principal: principal)
            return Response(status: .ok)
        }
        // Documented with a single "l"; the double-l spelling is accepted too. A body is ignored.
        for path in ["documents/state/{uuid}/decline/cancelation", "documents/state/{uuid}/decline/cancellation"] {
            group.put(RouterPath(path)) { _, context -> Response in
                try await lifecycle.apply(.declineCancellation, uuid: try context.parameters.require("uuid"), reason: nil, principal: try context.requirePrincipal())
                return Response(status: .ok)
            }
        }
        group.put("documents/state/{uuid}/decline/rejection") { _, context -> Response in
            try await lifecycle.apply(.declineRejection, uuid: try context.parameters.require("uuid"), reason: nil, principal: try context.requirePrincipal())
            return Response(status: .ok)
        }
    }
}
