// The receipt family's platform part (ETA SDK /ereceiptapi/02-submit-receipt/, spec/receipts-api.md,
// spec/receipt-structure.md): only taxpayers with the B2C tag submit receipts; the POS rules of
// every channel (POSGate); a POS token submits only its own POS's receipts; UUID mismatches are
// explained (UUIDExplainer); and full validation adds the platform rules about earlier receipts
// (the chain, receipt numbers, return references: SubmissionFacts, PlatformRules).
//
// Verdicts do not depend on processing timing (issue 14): receipts are judged in order within the
// job (sales before the returns of the same submission that refer to them), and a receipt whose
// rules depend on an earlier receipt still awaiting its verdict makes the job wait for it, up to
// ``PlatformConfiguration/dependencyWaitSeconds`` after reception; past that bound a pending
// reference counts as not valid and a pending number as taken.

import EisalCore
import EisalStore
import Foundation

/// Receipts on the platform.
struct ReceiptFamily<Store: PlatformStore>: PlatformFamily {
    let store: Store
    let configuration: PlatformConfiguration
    let rules = ReceiptRules()

    func admitCaller(_ principal: Principal) async throws {
        // Only taxpayers with the B2C tag submit receipts (seed receipt-submission-api.txt).
        guard principal.TaxProfTags.contains("B2C") else {
            throw PlatformError(.forbidden, code: .incorrectSubmitter, message: "Taxpayer \(principal.tin) does not carry the B2C tag: only B2C taxpayers may submit receipts.", target: principal.tin)
        }
        // The POS a POS token was issued to must still be activated.
        if let serial = principal.pos {
            guard let pos = try await store.pos(serial: serial), pos.activated else {
                throw PlatformError(.forbidden, code: .incorrectSubmitter, message: "POS \(serial) is not activated: activate it before submitting receipts.", target: serial)
            }
        }
    }

    func issuer(of document: JSONNode) -> String? { document["seller"]?["rin"]?.string }

    func admit(_ documents: [DocumentFacts], principal: Principal) async throws -> Set<POSGate<Store>.Key> {
        try await POSGate(store: store).activatedPOS(named: documents, principal: principal)
    }

    func rejection(of facts: DocumentFacts, principal: Principal, admission activatedPOS: Set<POSGate<Store>.Key>) -> DocumentRejection? {
        if let serial = principal.pos, facts.deviceSerialNumber != serial {
            return DocumentRejection(message: "seller.deviceSerialNumber '\(facts.deviceSerialNumber)' is not the POS this token was issued to ('\(serial)').", propertyPath: "seller.deviceSerialNumber")
        }
        if !activatedPOS.contains(POSGate<Store>.Key(sellerRIN: facts.sellerRIN, serial: facts.deviceSerialNumber)) {
            return DocumentRejection(message: POSGate<Store>.unregistered(facts), propertyPath: "seller.deviceSerialNumber")
        }
        return nil
    }

    /// One explainer per submission: it runs only on a UUID mismatch and shares the
    /// whole-submission variants between the receipts it explains.
    func uuidCheck(for submission: JSONNode) -> UUIDExplainer { UUIDExplainer(submission: submission) }

    func explainMismatch(_ document: JSONNode, claimed: String, computed: String, check explainer: inout UUIDExplainer) -> [ETAError]? {
        explainer.explain(document, claimed: claimed, computed: computed).etaError.map { [$0] }
    }

    func judge(_ receipts: [DocumentRecord], nodes: [JSONNode]?, job: ClaimedJob) async throws -> Judgement {
        let facts = try await SubmissionFacts.read(receipts, submission: job.subject, store: store)
        let now = configuration.clock.now()
        if now - job.createdAt < configuration.dependencyWaitSeconds, let waiting = receipts.lazy.compactMap({ facts.pendingDependency(of: $0) }).first {
            // Decide later, when the earlier verdict exists. Seconds are the clock's grain.
            return .wait(until: now + 1, reason: waiting)
        }
        let platformRules = PlatformRules(store: store, facts: facts, receipts: receipts)
        var context = ValidationContext(now: UTCDateTime(secondsSinceEpoch: now))
        context.submissionWindow = configuration.submissionWindow
        context.roundingTolerance = Decimal(string: configuration.roundingTolerance) ?? Decimal(string: "0.5")!

        // Returns referring to a receipt of this submission are judged after every other receipt.
        func refersInside(_ r: DocumentRecord) -> Bool { !r.referenceUUID.isEmpty && facts.positions[r.referenceUUID] != nil }
        let order = receipts.indices.filter { !refersInside(receipts[$0]) } + receipts.indices.filter { refersInside(receipts[$0]) }
        var lookup: [String: ReferencedReceipt] = [:]
        for r in receipts {
            guard let sale = facts.reference(of: r) else { continue }
            // Another seller's receipt is refused whatever its status; a pending one past the wait bound counts as not valid.
            lookup[sale.uuid] = Self.referenced(sale, valid: sale.sellerRIN != r.sellerRIN ? true : sale.status == .valid)
        }
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
            do throws(JSONParseError) {
                let node: JSONNode
                if let nodes { node = nodes[k] } else { node = try JSONParser().parse(record.raw).root }
                errors = rules.validate(node, context: receiptContext)
            } catch {
                errors = [ETAError(code: "Structure.Type", message: "The stored receipt could not be parsed: \(error.message)", target: "receipt", propertyPath: "")]
            }
            errors += try await platformRules.errors(record, numberTaken: facts.numberConflicts[record.uuid] != nil)
            errorsByIndex[k] = errors
        }
        return .verdicts(errorsByIndex)
    }

    /// Receipt notifications (spec/notifications.md, stand-in body): `receipt-validated` to the
    /// issuer for every verdict, and `receipt-received` to a business buyer (type `B`, a RIN) of
    /// a valid receipt, which has a callback only if it is a registered taxpayer.
    func notifications(for receipts: [DocumentRecord], errors: [[ETAError]], at milliseconds: Int64, recipients: Set<String>) -> [NotificationRecord] {
        guard !recipients.isEmpty else { return [] }
        var out: [NotificationRecord] = []
        out.reserveCapacity(receipts.count)
        for (r, e) in zip(receipts, errors) {
            let status = e.isEmpty ? DocumentStatus.valid.rawValue : DocumentStatus.invalid.rawValue
            func notification(_ type: String, to recipient: String) -> NotificationRecord {
                let message = NotificationMessage(type: type, uuid: r.uuid, submissionUUID: r.submissionUUID, longId: r.longId, receiptNumber: r.receiptNumber, status: status)
                return NotificationRecord(recipientRIN: recipient, path: .receipts, type: type, documentUUID: r.uuid, message: message.jsonBytes(), createdAt: milliseconds)
            }
            if recipients.contains(r.sellerRIN) { out.append(notification("receipt-validated", to: r.sellerRIN)) }
            if e.isEmpty, r.buyerType == "B", !r.buyerId.isEmpty, r.buyerId != r.sellerRIN, recipients.contains(r.buyerId) {
                out.append(notification("receipt-received", to: r.buyerId))
            }
        }
        return out
    }

    /// A receipt as the return rule sees it.
    static func referenced(_ r: DocumentRecord, valid: Bool) -> ReferencedReceipt {
        ReferencedReceipt(uuid: r.uuid, sellerRIN: r.sellerRIN, dateTimeIssued: UTCDateTime(secondsSinceEpoch: r.issuedAt),
                          totalAmount: Decimal(string: r.totalAmount) ?? 0, isValidSale: valid && ReceiptKind(code: r.receiptType) == .sale)
    }
}
