// Platform rules beyond EisalCore's validator (spec/receipt-structure.md "Chain and correction
// rules"): receipt number unique per seller, branch and POS among receipts that are not invalid
// (the earlier one keeps it); previousUUID names an earlier receipt of the same POS, and is ""
// only on that POS's first receipt. "Earlier": earlier in the seller's sequence (commit order),
// or earlier in the same submission.

import EisalCore
import EisalStore

enum PlatformRule {
    static let receiptNumberUnique = "Platform.ReceiptNumberUnique"
    static let previousUUIDChain = "Platform.PreviousUUIDChain"
}

/// The chain and receipt-number rules for the receipts of one submission.
struct PlatformRules<Store: ReceiptStore>: Sendable {
    let store: Store
    let facts: SubmissionFacts
    /// First position of each POS (per seller) in this submission.
    let firstPosition: [POSKey: Int]

    init(store: Store, facts: SubmissionFacts, receipts: [DocumentRecord]) {
        self.store = store
        self.facts = facts
        var first: [POSKey: Int] = [:]
        for record in receipts {
            let key = POSKey(posSerial: record.posSerial, sellerRIN: record.sellerRIN)
            first[key] = min(first[key] ?? .max, record.position)
        }
        firstPosition = first
    }

    /// The rule errors of `r`. `numberTaken`: the number is held by an earlier receipt (or still
    /// pending past the wait bound, which counts as held).
    func errors(_ r: DocumentRecord, numberTaken: Bool) async throws -> [ETAError] {
        var errors: [ETAError] = []
        if numberTaken {
            errors.append(ETAError(code: PlatformRule.receiptNumberUnique, message: "Receipt number '\(r.receiptNumber)' was already used by this POS in branch '\(r.branchCode)'.", target: "receiptNumber", propertyPath: "header.receiptNumber"))
        }
        if r.previousUUID.isEmpty {
            let samePOSBefore = (firstPosition[POSKey(posSerial: r.posSerial, sellerRIN: r.sellerRIN)] ?? r.position) < r.position
            let hasEarlier = try await store.posHasReceipts(posSerial: r.posSerial, taxpayerRIN: r.sellerRIN, before: r.sellerSequence)
            if samePOSBefore || hasEarlier {
                errors.append(ETAError(code: PlatformRule.previousUUIDChain, message: "header.previousUUID is empty but POS '\(r.posSerial)' has issued receipts before: it must be the UUID of the previous receipt of this POS.", target: "previousUUID", propertyPath: "header.previousUUID"))
            }
        } else if facts.positions[r.previousUUID] == nil {
            let previous = facts.chain[r.previousUUID]
            if previous == nil || previous?.posSerial != r.posSerial || previous?.sellerRIN != r.sellerRIN || (previous?.sellerSequence ?? .max) >= r.sellerSequence {
                errors.append(ETAError(code: PlatformRule.previousUUIDChain, message: "header.previousUUID \(r.previousUUID) is not an earlier receipt of POS '\(r.posSerial)'.", target: "previousUUID", propertyPath: "header.previousUUID"))
            }
        }
        return errors
    }
}

/// A POS of a seller (the previousUUID chain runs per POS).
struct POSKey: Hashable {
    var posSerial: String
    var sellerRIN: String
}
