// Submit Receipts: POST /api/v1/receiptsubmissions.
// Source: ETA SDK /ereceiptapi/02-submit-receipt/ (shared/seeds/receipt-submission-api.txt):
// JSON only; `receipts` (≥ 1) and `signatures`; synchronous minimal validation (submission
// structure, issuer is the caller, each receipt matches its receipt type version); 400
// BadStructure, 400 MaximumSizeExceeded, 403 IncorrectSubmitter, 422 DuplicateSubmission with
// Retry-After; 202 with submissionUUID, acceptedDocuments (uuid, longId, receiptNumber) and
// rejectedDocuments (receiptNumber, uuid, error). spec/receipts-api.md §02 for the stand-in
// decisions (missing `signatures` accepted and stored unverified; `submissionId` alias).
//
// Durable before acknowledged: the submission, its accepted receipts (raw bytes) and its
// processing job are committed in one transaction before the 202 is written.

import Crypto
import EisalCore
import EisalStore
import Foundation

/// The outcome of an accepted submission (HTTP 202).
struct IntakeResult: Sendable {
    var submissionUUID: String?
    var accepted: [AcceptedDocument]
    var rejected: [RejectedDocument]
}

/// Synchronous intake of receipt submissions.
struct IntakeService<Store: SubmissionStore & RegistryStore>: Sendable {
    let store: Store
    let configuration: PlatformConfiguration
    /// Where committed submissions are handed to this node's workers.
    let handoff: SubmissionHandoff
    /// Wakes an idle worker of this node once a job is committed.
    let signal: JobSignal
    let validator = ReceiptValidator()

    func submit(body: [UInt8], principal: Principal) async throws -> IntakeResult {
        let now = configuration.clock.now()
        guard body.count <= configuration.maximumSubmissionBytes else { throw Self.tooLarge(bytes: body.count, configuration) }
        // Only taxpayers with the B2C tag submit receipts; the POS must be activated.
        guard principal.TaxProfTags.contains("B2C") else {
            throw PlatformError(.forbidden, code: "IncorrectSubmitter", message: "Taxpayer \(principal.tin) does not carry the B2C tag: only B2C taxpayers may submit receipts.", target: principal.tin)
        }
        if let serial = principal.pos {
            guard let pos = try await store.pos(serial: serial), pos.activated else {
                throw PlatformError(.forbidden, code: "IncorrectSubmitter", message: "POS \(serial) is not activated: activate it before submitting receipts.", target: serial)
            }
        }
        // Duplicate detection: hash of the payload against this taxpayer's last 10 minutes.
        let payloadHash = Hex.lowercase(SHA256.hash(data: body))
        if let previous = try await store.recentSubmission(taxpayerRIN: principal.tin, payloadHash: payloadHash, since: now - configuration.duplicateWindow) {
            let retryAfter = max(1, previous.receivedAt + configuration.duplicateWindow - now)
            throw PlatformError(.unprocessableContent, code: "DuplicateSubmission",
                                message: "An identical submission (\(previous.uuid)) was received in the last \(configuration.duplicateWindow / 60) minutes; its results are under that submission. Retry after \(retryAfter) seconds only if you really mean to submit it again.",
                                target: previous.uuid, headers: [.retryAfter: String(retryAfter)])
        }
        let document: JSONDocument
        do {
            document = try JSONParser().parse(body)
        } catch {
            throw PlatformError.badStructure("The submission is not valid JSON: \(error.message)", target: "body")
        }
        let receipts = try Self.receiptsOf(document, configuration: configuration)
        // Issuer: every receipt must be issued by the caller's taxpayer (or one it represents).
        var foreign: [ETAError] = []
        for (i, receipt) in receipts.enumerated() {
            if let rin = receipt["seller"]?["rin"]?.string, !principal.mayActFor(rin) {
                foreign.append(ETAError(code: "IncorrectSubmitter", message: "receipts[\(i)] is issued by taxpayer \(rin); this token acts for \(principal.tin).", target: rin, propertyPath: "receipts[\(i)].seller.rin"))
            }
        }
        if !foreign.isEmpty {
            throw PlatformError(.forbidden, code: "IncorrectSubmitter", message: "Receipts may only be submitted by their issuer or an intermediary with its permission.", target: principal.tin, details: foreign)
        }
        let activatedPOS = try await POSGate(store: store).activatedPOS(named: receipts, principal: principal)
        return try await accept(receipts, document: document, principal: principal, activatedPOS: activatedPOS, payloadHash: payloadHash, now: now)
    }

    /// `bytes`: the submission's size when known (nil: only known to exceed the limit);
    /// `receipts`: its receipt count when that is what is over the limit.
    static func tooLarge(bytes: Int?, receipts: Int? = nil, _ configuration: PlatformConfiguration) -> PlatformError {
        let size = receipts.map { "has \($0) receipts" } ?? "is " + (bytes.map { "\($0) bytes" } ?? "larger than \(configuration.maximumSubmissionBytes) bytes")
        return PlatformError(.badRequest, code: "MaximumSizeExceeded",
                             message: "The submission \(size); the supported size is \(configuration.maximumSubmissionBytes) bytes and \(configuration.maximumReceiptsPerSubmission) receipts. Split it into smaller submissions.",
                             target: "body", details: [
                                 ETAError(code: "MaximumSizeExceeded", message: "Maximum submission size in bytes: \(configuration.maximumSubmissionBytes).", target: "maximumSubmissionBytes"),
                                 ETAError(code: "MaximumSizeExceeded", message: "Maximum receipts per submission: \(configuration.maximumReceiptsPerSubmission).", target: "maximumReceiptsPerSubmission"),
                             ])
    }

    /// The submission's structure: an object with `receipts` (1…max) and optionally `signatures`.
    static func receiptsOf(_ document: JSONDocument, configuration: PlatformConfiguration) throws -> [JSONNode] {
        let root = document.root
        guard root.kind == .object else { throw PlatformError.badStructure("The submission must be a JSON object with a 'receipts' list.", target: "body") }
        var receipts: [JSONNode]?
        var problems: [ETAError] = []
        root.forEachMember { key, value in
            switch key {
            case "receipts":
                if value.kind == .array { receipts = value.elements } else {
                    problems.append(ETAError(code: "BadStructure", message: "'receipts' must be a list of receipts, found \(value.kindDescription).", target: "receipts"))
                }
            case "signatures":
                guard value.kind == .array else {
                    problems.append(ETAError(code: "BadStructure", message: "'signatures' must be a list, found \(value.kindDescription).", target: "signatures"))
                    return
                }
                for (i, signature) in value.elements.enumerated() {
                    let type = signature["signatureType"]?.string
                    if signature.kind != .object || (type != "I" && type != "S") || signature["value"]?.string == nil {
                        problems.append(ETAError(code: "BadStructure", message: "signatures[\(i)] must be {\"signatureType\": \"I\" or \"S\", \"value\": \"<Base64 CAdES-BES>\"}.", target: "signatures[\(i)]"))
                    }
                }
            default:
                problems.append(ETAError(code: "BadStructure", message: "'\(key)' is not allowed in a receipt submission (only 'receipts' and 'signatures').", target: key))
            }
        }
        if receipts == nil, problems.isEmpty {
            problems.append(ETAError(code: "BadStructure", message: "The submission has no 'receipts' list.", target: "receipts"))
        }
        if let receipts, receipts.isEmpty {
            problems.append(ETAError(code: "BadStructure", message: "'receipts' must hold at least one receipt.", target: "receipts"))
        }
        guard problems.isEmpty, let receipts else {
            throw PlatformError.badStructure(problems.first?.message ?? "Bad submission structure.", target: problems.first?.target, details: problems)
        }
        guard receipts.count <= configuration.maximumReceiptsPerSubmission else {
            throw tooLarge(bytes: document.bytes.count, receipts: receipts.count, configuration)
        }
        return receipts
    }

    func accept(_ receipts: [JSONNode], document: JSONDocument, principal: Principal, activatedPOS: Set<POSGate<Store>.Key>, payloadHash: String, now: Int64) async throws -> IntakeResult {
        var accepted: [AcceptedDocument] = []
        var rejected: [RejectedDocument] = []
        var records: [ReceiptRecord] = []
        var seenUUIDs: Set<String> = []
        var seenNumbers: Set<String> = []
        var candidates: [(node: JSONNode, facts: ReceiptFacts, uuid: String, claimed: String, number: String)] = []
        var identifiers = Identifiers.Source()
        let submissionUUID = identifiers.next(26)
        // One explainer per submission: it runs only on a UUID mismatch and shares the
        // whole-submission variants between the receipts it explains.
        var explainer = UUIDExplainer(submission: document.root)
        for (i, node) in receipts.enumerated() {
            let header = node["header"]
            let number = header?["receiptNumber"]?.string ?? ""
            let claimed = header?["uuid"]?.string ?? ""
            func reject(_ message: String, path: String, details: [ETAError]? = nil) {
                rejected.append(RejectedDocument(receiptNumber: number, uuid: claimed, error: ETAError(code: "InvalidReceipt", message: message, target: claimed.isEmpty ? "receipts[\(i)]" : claimed, propertyPath: path, details: details)))
            }
            let structure = validator.validateStructure(node, maximumItems: 300)
            if !structure.isEmpty {
                reject("The receipt does not match the structure of its receipt type version (\(structure.count) problem(s)).", path: structure[0].propertyPath ?? "", details: structure)
                continue
            }
            // The structure rules passed: the members read here are strings.
            let facts = ReceiptFacts(node)
            if let serial = principal.pos, facts.deviceSerialNumber != serial {
                reject("seller.deviceSerialNumber '\(facts.deviceSerialNumber)' is not the POS this token was issued to ('\(serial)').", path: "seller.deviceSerialNumber")
                continue
            }
            if !activatedPOS.contains(POSGate<Store>.Key(sellerRIN: facts.sellerRIN, serial: facts.deviceSerialNumber)) {
                reject(POSGate<Store>.unregistered(facts), path: "seller.deviceSerialNumber")
                continue
            }
            let computed = ReceiptUUID.compute(node)
            guard ReceiptUUID.matches(claimed: claimed, computed: computed) else {
                let explanation = explainer.explain(node, claimed: claimed, computed: computed)
                reject("The receipt UUID does not match its content: Eisal computes \(computed) from the receipt as received.", path: "header.uuid",
                       details: explanation.etaError.map { [$0] })
                continue
            }
            if !seenUUIDs.insert(computed).inserted {
                reject("The same receipt appears twice in this submission.", path: "header.uuid")
                continue
            }
            let branch = facts.branchCode
            if !seenNumbers.insert(branch + "\u{0}" + number).inserted {
                reject("Receipt number '\(number)' appears twice for branch '\(branch)' in this submission.", path: "header.receiptNumber")
                continue
            }
            candidates.append((node, facts, computed, claimed, number))
        }
        var nodes: [JSONNode] = []
        var longIds: [String] = []
        for (position, candidate) in candidates.enumerated() {
            let longId = identifiers.next(40)
            records.append(Self.record(candidate.node, facts: candidate.facts, uuid: candidate.uuid, submissionUUID: submissionUUID, longId: longId, position: position, now: now))
            nodes.append(candidate.node)
            longIds.append(longId)
        }
        guard !records.isEmpty else { return IntakeResult(submissionUUID: nil, accepted: [], rejected: rejected) }
        let signatures = document.root["signatures"].map { String(decoding: $0.rawBytes, as: UTF8.self) }
        let submission = SubmissionRecord(
            uuid: submissionUUID, taxpayerRIN: principal.tin, clientID: principal.sub, posSerial: principal.pos,
            submitterName: principal.sub, channel: principal.ch, receivedAt: now, payloadHash: payloadHash,
            receiptCount: records.count, signatures: signatures
        )
        // Receipts accepted earlier (by any submission, also one committing at the same moment)
        // are left out by the store in the same transaction and rejected here.
        let committed = try await store.commitSubmission(submission, text: document.bytes, receipts: records)
        let duplicates = committed.duplicates
        for (k, candidate) in candidates.enumerated() {
            if duplicates.contains(candidate.uuid) {
                rejected.append(RejectedDocument(receiptNumber: candidate.number, uuid: candidate.claimed, error: ETAError(
                    code: "DuplicateReceipt", message: "A receipt with UUID \(candidate.uuid) was already submitted; it is not accepted twice.", target: candidate.claimed, propertyPath: "header.uuid")))
            } else {
                accepted.append(AcceptedDocument(uuid: candidate.uuid, longId: longIds[k], receiptNumber: candidate.number))
            }
        }
        guard !accepted.isEmpty else { return IntakeResult(submissionUUID: nil, accepted: [], rejected: rejected) }
        // The workers read each receipt from its node. Held: the text, its tape (16 bytes a
        // token, about one token per 10 bytes of text) and the records' columns.
        var columns: [ReceiptRecord] = [], committedNodes: [JSONNode] = []
        for (k, (record, node)) in zip(records, nodes).enumerated() where !duplicates.contains(record.uuid) {
            var placed = record
            placed.sellerSequence = committed.sellerSequences[k]
            columns.append(placed)
            committedNodes.append(node)
        }
        handoff.put(submissionUUID, .init(records: columns, receipts: committedNodes, bytes: document.bytes.count * 3 + records.count * 512))
        signal.notify()
        return IntakeResult(submissionUUID: submissionUUID, accepted: accepted, rejected: rejected)
    }

    /// The stored form of an accepted receipt: index columns, and where its text sits in the
    /// submission text (stored once, as received).
    static func record(_ node: JSONNode, facts f: ReceiptFacts, uuid: String, submissionUUID: String, longId: String, position: Int, now: Int64) -> ReceiptRecord {
        ReceiptRecord(
            uuid: uuid, submissionUUID: submissionUUID, longId: longId, receiptNumber: f.receiptNumber, position: position,
            sellerRIN: f.sellerRIN, sellerName: f.sellerName, branchCode: f.branchCode, posSerial: f.deviceSerialNumber,
            buyerType: f.buyerType, buyerId: f.buyerID, buyerName: f.buyerName, receiptType: f.receiptType, typeVersion: f.typeVersion,
            currency: f.currency, totalAmount: f.totalAmount, exchangeRate: f.exchangeRate, paymentMethod: f.paymentMethod,
            dateTimeIssued: f.dateTimeIssued, issuedAt: UTCDateTime(f.dateTimeIssued)?.secondsSinceEpoch ?? 0,
            receivedAt: now, previousUUID: f.previousUUID.lowercased(), referenceUUID: f.referenceUUID.lowercased(),
            raw: [], textRange: node.byteRange
        )
    }
}
