// Invoice documents on the platform (ETA SDK /einvoicingapi/01-submit-documents,
// spec/documents-api.md): ERP (taxpayer system) tokens submit them, for their own taxpayer or
// one they act for; the platform computes each document's UUID; full validation runs the core's
// document rules as of reception, resolves the references of credit and debit notes against
// stored documents, and verifies the signatures of version 1.0 (EisalCAdES.DocumentSignatures).
//
// Stand-in decisions:
// - A POS token may not submit documents (403 IncorrectSubmitter): documents come from ERPs.
// - Signatures: version 1.0 needs a `signatures` entry of type `I`, a CAdES-BES over the
//   document's canonical text by a certificate chaining to a configured anchor, valid at
//   `dateTimeIssued` and naming the issuer's RIN; an `S` entry, when present, must verify too.
//   Checked in processing, never on the synchronous path. Version 0.9 needs none.
// - The submission window for documents is `PlatformConfiguration.documentSubmissionWindow`
//   (7 days by default, a placeholder: ETA sets it as a workflow parameter).
// - Notifications (seed erp-receive-document-notifications.txt): `document-validated` to the
//   issuer for every verdict; `document-received` to the receiver of a valid document when it
//   is a business (B) other than the issuer. Path /notifications/documents, batch type `document`.

import EisalCAdES
import EisalCore
import EisalStore
import Foundation

/// Invoice documents on the platform.
struct InvoiceFamily<Store: PlatformStore>: PlatformFamily {
    let store: Store
    let configuration: PlatformConfiguration
    let signatures: DocumentSignatures
    let rules = InvoiceRules()

    func admitCaller(_ principal: Principal) async throws {
        if let serial = principal.pos {
            throw PlatformError(.forbidden, code: .incorrectSubmitter, message: "POS \(serial) may submit receipts only: documents are submitted by the taxpayer's ERP (a taxpayer-system token).", target: serial)
        }
    }

    func issuer(of document: JSONNode) -> String? { document["issuer"]?["id"]?.string }

    func admit(_ documents: [DocumentFacts], principal: Principal) async throws {}

    func rejection(of facts: DocumentFacts, principal: Principal, admission: Void) -> DocumentRejection? { nil }

    func uuidCheck(for submission: JSONNode) {}

    /// Documents do not claim a UUID: there is no mismatch to explain.
    func explainMismatch(_ document: JSONNode, claimed: String, computed: String, check: inout Void) -> [ETAError]? { nil }

    func judge(_ documents: [DocumentRecord], nodes: [JSONNode]?, job: ClaimedJob) async throws -> Judgement {
        var context = ValidationContext(now: UTCDateTime(secondsSinceEpoch: configuration.clock.now()))
        context.submissionWindow = configuration.documentSubmissionWindow
        context.roundingTolerance = Decimal(string: configuration.roundingTolerance) ?? Decimal(string: "0.5")!
        // The documents credit and debit notes refer to, read once for the job.
        let nodes: [JSONNode?] = documents.indices.map { k in
            if let nodes { return nodes[k] }
            return try? JSONParser().parse(documents[k].raw).root
        }
        var wanted: Set<String> = []
        for node in nodes { for reference in node?["references"]?.elements ?? [] { if let uuid = reference.string { wanted.insert(uuid.lowercased()) } } }
        var known: [String: ReferencedDocument] = [:]
        for record in try await store.receipts(uuids: Array(wanted)) where record.family == DocumentFamily.invoice.name {
            known[record.uuid] = ReferencedDocument(uuid: record.uuid, issuerRIN: record.sellerRIN, receiverID: record.buyerId, documentType: record.receiptType,
                                                    isValid: record.status == .valid)
        }
        var verdicts: [[ETAError]] = []
        verdicts.reserveCapacity(documents.count)
        for (k, record) in documents.enumerated() {
            guard let node = nodes[k] else {
                verdicts.append([ETAError(code: "Structure.Type", message: "The stored document could not be parsed.", target: "document", propertyPath: "")])
                continue
            }
            var documentContext = context
            // As of reception, not of processing (a queue must not make documents late).
            documentContext.now = UTCDateTime(secondsSinceEpoch: record.receivedAt)
            let own = record.uuid
            let lookup = known
            documentContext.referencedDocument = { uuid in uuid == own ? nil : lookup[uuid] }
            var errors = rules.validate(node, context: documentContext)
            errors += signatures.errors(for: node, uuid: record.uuid, fallbackDate: Date(timeIntervalSince1970: TimeInterval(record.receivedAt)))
            verdicts.append(errors)
        }
        return .verdicts(verdicts)
    }

    func notifications(for documents: [DocumentRecord], errors: [[ETAError]], at milliseconds: Int64, recipients: Set<String>) -> [NotificationRecord] {
        guard !recipients.isEmpty else { return [] }
        var out: [NotificationRecord] = []
        for (d, e) in zip(documents, errors) {
            let status = e.isEmpty ? DocumentStatus.valid.rawValue : DocumentStatus.invalid.rawValue
            func notification(_ type: String, to recipient: String) -> NotificationRecord {
                let message = NotificationMessage(type: type, uuid: d.uuid, submissionUUID: d.submissionUUID, longId: d.longId, internalId: d.receiptNumber, status: status)
                return NotificationRecord(recipientRIN: recipient, path: .documents, type: type, documentUUID: d.uuid, message: message.jsonBytes(), createdAt: milliseconds)
            }
            if recipients.contains(d.sellerRIN) { out.append(notification("document-validated", to: d.sellerRIN)) }
            if e.isEmpty, d.buyerType == "B", !d.buyerId.isEmpty, d.buyerId != d.sellerRIN, recipients.contains(d.buyerId) {
                out.append(notification("document-received", to: d.buyerId))
            }
        }
        return out
    }
}
