// The POS rules of Submit Receipts, the same on every channel (POS token or ERP token):
// - seed receipt-submission-api.txt: "POS should be activated before submission on any other channel";
// - spec/receipt-structure.md (FAQ "POS device"): the POS must be registered and linked to the
//   issuer RIN before issuing;
// - spec/receipts-api.md (R-ETMAN, Receipt Issuance FAQ): a retired device causes the whole
//   submission to be rejected.
// Eisal's reading: a receipt whose `seller.deviceSerialNumber` is not a POS registered to its
// `seller.rin` is rejected on its own (rejectedDocuments); a registered POS that is not activated
// (never activated, or retired) refuses the whole submission with 403 IncorrectSubmitter, as the POS
// channel always did for its own POS.

import EisalCore
import EisalStore

/// Looks up each POS a submission's receipts name, once per submission.
struct POSGate<Store: RegistryStore>: Sendable {
    let store: Store

    /// The POS a receipt names: its issuer and serial.
    struct Key: Hashable, Sendable {
        var sellerRIN: String
        var serial: String
    }

    /// Registered, activated POS of the right taxpayer among those the receipts name. Throws 403
    /// `IncorrectSubmitter` when any named POS of the issuer is registered but not activated.
    func activatedPOS(named receipts: [DocumentFacts], principal: Principal) async throws -> Set<Key> {
        var keys: Set<Key> = []
        var last: Key?
        for facts in receipts where !facts.sellerRIN.isEmpty && !facts.deviceSerialNumber.isEmpty {
            // A POS's submission names one POS: skip the hashing while the key repeats.
            if last?.serial == facts.deviceSerialNumber, last?.sellerRIN == facts.sellerRIN { continue }
            let key = Key(sellerRIN: facts.sellerRIN, serial: facts.deviceSerialNumber)
            keys.insert(key)
            last = key
        }
        var activated: Set<Key> = []
        var retired: [String] = []
        for key in keys.sorted(by: { ($0.sellerRIN, $0.serial) < ($1.sellerRIN, $1.serial) }) {
            guard let pos = try await store.pos(serial: key.serial), pos.taxpayerRIN == key.sellerRIN else { continue }
            if pos.activated { activated.insert(key) } else { retired.append(key.serial) }
        }
        if !retired.isEmpty {
            throw PlatformError(.forbidden, code: .incorrectSubmitter,
                                message: "POS \(retired.joined(separator: ", ")) \(retired.count == 1 ? "is" : "are") not activated (never activated, or retired): the whole submission is refused. Activate the POS before submitting its receipts, on any channel.",
                                target: retired[0], details: retired.map { ETAError(code: .incorrectSubmitter, message: "POS \($0) is not activated.", target: $0, propertyPath: "seller.deviceSerialNumber") })
        }
        return activated
    }

    /// The rejection of a receipt whose POS is not registered to its issuer.
    static func unregistered(_ facts: DocumentFacts) -> String {
        "seller.deviceSerialNumber '\(facts.deviceSerialNumber)' is not a POS registered to taxpayer \(facts.sellerRIN): every receipt must name a registered, activated POS of its issuer, on every channel."
    }
}
