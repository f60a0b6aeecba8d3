// Submit Documents, shared by every family; receipts: POST /api/v1/receiptsubmissions.
// Source: ETA SDK /ereceiptapi/02-submit-receipt/ (shared/seeds/receipt-submission-api.txt):
// JSON only; the documents (≥ 1) and `signatures`; synchronous minimal validation (submission
// structure, issuer is the caller, each document matches its type version); 400 BadStructure,
// 400 MaximumSizeExceeded, 403 IncorrectSubmitter, 422 DuplicateSubmission with Retry-After; 202
// with submissionUUID, acceptedDocuments (uuid, longId, the issuer's number) and rejectedDocuments
// (number, uuid, error). spec/receipts-api.md §02 for the stand-in decisions (missing
// `signatures` accepted and stored unverified; `submissionId` alias). What differs between the
// families is their ``PlatformFamily``.
//
// Durable before acknowledged: the submission, its accepted documents (raw bytes) and its
// validation job are committed in one transaction before the 202 is written.

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

/// Synchronous intake of the submissions of one family.
struct IntakeService<Store: SubmissionStore & RegistryStore, Family: PlatformFamily>: Sendable {
    let store: Store
    let family: Family
    let configuration: PlatformConfiguration
    /// Where committed submissions are handed to this node's workers.
    let handoff: SubmissionHandoff
    /// Wakes an idle worker of this node once a job is committed.
    let signal: JobSignal

    var noun: String { family.family.name }

    /// 422 DuplicateSubmission with Retry-After when this taxpayer's identical payload was received in the window.
    func refuseDuplicate(payloadHash: String, principal: Principal, now: Int64) async throws {
        guard let previous = try await store.recentSubmission(taxpayerRIN: principal.tin, payloadHash: payloadHash, since: now - configuration.duplicateWindow) else { return }
        let retryAfter = max(1, previous.receivedAt + configuration.duplicateWindow - now)
        throw PlatformError(.unprocessableContent, code: .duplicateSubmission,
                            message: "An identical submission (\(previous.uuid)) was received in the last \(configuration.duplicateWindow / 60) minutes; its results are under that submission. Retry after \(retryAfter) seconds only if you really mean to submit it again.",
                            target: previous.uuid, headers: [.retryAfter: String(retryAfter)])
    }

    func submit(body: [UInt8], principal: Principal) async throws -> IntakeResult {
        let now = configuration.clock.now()
        guard body.count <= configuration.maximumSubmissionBytes else { throw Self.tooLarge(bytes: body.count, configuration) }
        try await family.admitCaller(principal)
        // Duplicate detection: hash of the payload against this taxpayer's last 10 minutes.
        let payloadHash = Hex.lowercase(SHA256.hash(data: body))
        try await refuseDuplicate(payloadHash: payloadHash, principal: principal, now: now)
        let document: JSONDocument
        do {
            document = try JSONParser().parse(body)
        } catch {
            throw PlatformError.badStructure("The submission is not valid JSON: \(error.message)", target: "body")
        }
        let documents = try Self.documents(of: document, family: family.family, configuration: configuration)
        // Issuer: every document must be issued by the caller's taxpayer (or one it represents).
        let key = family.family.submissionKey
        var foreign: [ETAError] = []
        for (i, node) in documents.enumerated() {
            if let rin = family.issuer(of: node), !principal.mayActFor(rin) {
                foreign.append(ETAError(code: .incorrectSubmitter, message: "\(key)[\(i)] is issued by taxpayer \(rin); this token acts for \(principal.tin).", target: rin,
                                        propertyPath: "\(key)[\(i)].\(family.family.issuerPath)"))
            }
        }
        if !foreign.isEmpty {
            throw PlatformError(.forbidden, code: .incorrectSubmitter, message: "\(key.prefix(1).uppercased() + key.dropFirst()) may only be submitted by their issuer or an intermediary with its permission.",
                                target: principal.tin, details: foreign)
        }
        // Each document's facts, read once: the admission and every per-document check use them.
        let facts = documents.map { family.rules.facts($0) }
        let admission = try await family.admit(facts, principal: principal)
        return try await accept(documents, facts: facts, document: document, principal: principal, admission: admission, payloadHash: payloadHash, now: now)
    }

    /// `bytes`: the submission's size when known (nil: only known to exceed the limit);
    /// `documents`: its document count when that is what is over the limit.
    static func tooLarge(bytes: Int?, documents: Int? = nil, _ configuration: PlatformConfiguration) -> PlatformError {
        let size = documents.map { "has \($0) receipts" } ?? "is " + (bytes.map { "\($0) bytes" } ?? "larger than \(configuration.maximumSubmissionBytes) bytes")
        return PlatformError(.badRequest, code: .maximumSizeExceeded,
                             message: "The submission \(size); the supported size is \(configuration.maximumSubmissionBytes) bytes and \(configuration.maximumReceiptsPerSubmission) receipts. Split it into smaller submissions.",
                             target: "body", details: [
                                 ETAError(code: .maximumSizeExceeded, message: "Maximum submission size in bytes: \(configuration.maximumSubmissionBytes).", target: "maximumSubmissionBytes"),
                                 ETAError(code: .maximumSizeExceeded, message: "Maximum receipts per submission: \(configuration.maximumReceiptsPerSubmission).", target: "maximumReceiptsPerSubmission"),
                             ])
    }

    /// The submission's structure: an object with the family's list (1…max) and optionally `signatures`.
    static func documents(of document: JSONDocument, family: DocumentFamily, configuration: PlatformConfiguration) throws -> [JSONNode] {
        let root = document.root
        let key = family.submissionKey
        guard root.kind == .object else { throw PlatformError.badStructure("The submission must be a JSON object with a '\(key)' list.", target: "body") }
        var documents: [JSONNode]?
        var problems: [ETAError] = []
        root.forEachMember { member, value in
            switch member {
            case key:
                if value.kind == .array { documents = value.elements } else {
                    problems.append(ETAError(code: .badStructure, message: "'\(key)' must be a list of \(key), found \(value.kindDescription).", target: key))
                }
            case "signatures":
                guard value.kind == .array else {
                    problems.append(ETAError(code: .badStructure, message: "'signatures' must be a list, found \(value.kindDescription).", target: "signatures"))
                    return
                }
                for (i, signature) in value.elements.enumerated() {
                    let type = signature["signatureType"]?.string
                    if signature.kind != .object || (type != "I" && type != "S") || signature["value"]?.string == nil {
                        problems.append(ETAError(code: .badStructure, message: "signatures[\(i)] must be {\"signatureType\": \"I\" or \"S\", \"value\": \"<Base64 CAdES-BES>\"}.", target: "signatures[\(i)]"))
                    }
                }
            default:
                problems.append(ETAError(code: .badStructure, message: "'\(member)' is not allowed in a \(family.name) submission (only '\(key)' and 'signatures').", target: member))
            }
        }
        if documents == nil, problems.isEmpty {
            problems.append(ETAError(code: .badStructure, message: "The submission has no '\(key)' list.", target: key))
        }
        if let documents, documents.isEmpty {
            problems.append(ETAError(code: .badStructure, message: "'\(key)' must hold at least one \(family.name).", target: key))
        }
        guard problems.isEmpty, let documents else {
            throw PlatformError.badStructure(problems.first?.message ?? "Bad submission structure.", target: problems.first?.target, details: problems)
        }
        guard documents.count <= configuration.maximumReceiptsPerSubmission else {
            throw tooLarge(bytes: document.bytes.count, documents: documents.count, configuration)
        }
        return documents
    }

    func accept(_ documents: [JSONNode], facts allFacts: [DocumentFacts], document: JSONDocument, principal: Principal, admission: Family.Admission, payloadHash: String, now: Int64) async throws -> IntakeResult {
        let names = family.family
        var rejected: [RejectedDocument] = []
        var seenUUIDs: Set<String> = []
        var seenNumbers: Set<String> = []
        var candidates: [(node: JSONNode, facts: DocumentFacts, uuid: String)] = []
        var identifiers = Identifiers.Source()
        let submissionUUID = identifiers.next(26)
        var uuidCheck = family.uuidCheck(for: document.root)
        for (i, node) in documents.enumerated() {
            let facts = allFacts[i]
            let number = facts.receiptNumber
            // Receipts claim their UUID; documents get theirs from the platform.
            var claimed = facts.uuid
            func reject(_ message: String, path: String, details: [ETAError]? = nil) {
                rejected.append(RejectedDocument(receiptNumber: number, uuid: claimed, error: ETAError(
                    code: .invalidDocument, message: message, target: claimed.isEmpty ? "\(names.submissionKey)[\(i)]" : claimed, propertyPath: path, details: details)))
            }
            let structure = family.rules.structureProblems(node)
            if !structure.isEmpty {
                reject("The \(noun) does not match the structure of its \(noun) type version (\(structure.count) problem(s)).", path: structure[0].propertyPath ?? "", details: structure)
                continue
            }
            if let refused = family.rejection(of: facts, principal: principal, admission: admission) {
                reject(refused.message, path: refused.propertyPath)
                continue
            }
            let computed = family.rules.uuid(of: node)
            if !names.claimsUUID { claimed = computed }
            guard claimed.count == computed.count, claimed.lowercased() == computed else {
                reject("The \(noun) UUID does not match its content: Eisal computes \(computed) from the \(noun) as received.", path: names.uuidPath,
                       details: family.explainMismatch(node, claimed: claimed, computed: computed, check: &uuidCheck))
                continue
            }
            if !seenUUIDs.insert(computed).inserted {
                reject("The same \(noun) appears twice in this submission.", path: names.uuidPath)
                continue
            }
            if !seenNumbers.insert(facts.branchCode + "\u{0}" + number).inserted, names.claimsUUID {
                reject("\(noun.prefix(1).uppercased() + noun.dropFirst()) number '\(number)' appears twice for branch '\(facts.branchCode)' in this submission.", path: names.numberPath)
                continue
            }
            candidates.append((node, facts, computed))
        }
        guard !candidates.isEmpty else { return IntakeResult(submissionUUID: nil, accepted: [], rejected: rejected) }
        var records: [DocumentRecord] = []
        records.reserveCapacity(candidates.count)
        for (position, candidate) in candidates.enumerated() {
            records.append(Self.record(candidate.node, facts: candidate.facts, family: names, uuid: candidate.uuid, submissionUUID: submissionUUID,
                                       longId: identifiers.next(40), position: position, now: now))
        }
        let signatures = document.root["signatures"].map { String(decoding: $0.rawBytes, as: UTF8.self) }
        let submission = SubmissionRecord(
            uuid: submissionUUID, family: names.name, taxpayerRIN: principal.tin, clientID: principal.sub, posSerial: principal.pos,
            submitterName: principal.sub, channel: principal.ch, receivedAt: now, payloadHash: payloadHash,
            receiptCount: records.count, signatures: signatures
        )
        // Documents accepted earlier (by any submission, also one committing at the same moment)
        // are left out by the store in the same transaction and rejected here.
        let committed = try await store.commitSubmission(submission, text: document.bytes, documents: records, job: JobKind(family: names))
        var accepted: [AcceptedDocument] = []
        // The workers read each document from its node. Held: the text, its tape (16 bytes a
        // token, about one token per 10 bytes of text) and the records' columns.
        var handed: [DocumentRecord] = [], handedNodes: [JSONNode] = []
        for (k, record) in records.enumerated() {
            if committed.duplicates.contains(record.uuid) {
                rejected.append(RejectedDocument(receiptNumber: record.receiptNumber, uuid: candidates[k].facts.uuid, error: ETAError(
                    code: .duplicateDocument, message: "A \(noun) with UUID \(record.uuid) was already submitted; it is not accepted twice.", target: candidates[k].facts.uuid, propertyPath: names.uuidPath)))
                continue
            }
            accepted.append(AcceptedDocument(uuid: record.uuid, longId: record.longId, receiptNumber: record.receiptNumber))
            var placed = record
            placed.sellerSequence = committed.sellerSequences[k]
            handed.append(placed)
            handedNodes.append(candidates[k].node)
        }
        if accepted.isEmpty, committed.duplicates.count == records.count {
            // The same payload committed at this moment by another request (another node, or
            // this one): the store kept it once, and it is answered here as a duplicate submission.
            try await refuseDuplicate(payloadHash: payloadHash, principal: principal, now: now)
        }
        guard !accepted.isEmpty else { return IntakeResult(submissionUUID: nil, accepted: [], rejected: rejected) }
        handoff.put(submissionUUID, .init(records: handed, receipts: handedNodes, bytes: document.bytes.count * 3 + records.count * 512))
        signal.notify()
        return IntakeResult(submissionUUID: submissionUUID, accepted: accepted, rejected: rejected)
    }

    /// The stored form of an accepted document: index columns, and where its text sits in the
    /// submission text (stored once, as received).
    static func record(_ node: JSONNode, facts f: DocumentFacts, family: DocumentFamily, uuid: String, submissionUUID: String, longId: String, position: Int, now: Int64) -> DocumentRecord {
        DocumentRecord(
            uuid: uuid, submissionUUID: submissionUUID, longId: longId, receiptNumber: f.receiptNumber, position: position,
            sellerRIN: f.sellerRIN, sellerName: f.sellerName, branchCode: f.branchCode, posSerial: f.deviceSerialNumber,
            buyerType: f.buyerType, buyerId: f.buyerID, buyerName: f.buyerName, receiptType: f.receiptType, typeVersion: f.typeVersion,
            currency: f.currency, totalAmount: f.totalAmount, exchangeRate: f.exchangeRate, paymentMethod: f.paymentMethod,
            dateTimeIssued: f.dateTimeIssued, issuedAt: UTCDateTime(f.dateTimeIssued)?.secondsSinceEpoch ?? 0,
            receivedAt: now, previousUUID: f.previousUUID.lowercased(), referenceUUID: f.referenceUUID.lowercased(),
            raw: [], textRange: node.byteRange, family: family.name
        )
    }
}
