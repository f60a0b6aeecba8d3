// The `previousUUID` chain of one POS (spec/receipt-structure.md: each receipt names the UUID of
// the POS's previous receipt, "" on its first), kept in a small file so a restarted POS continues
// its chain instead of starting a new one. The file is replaced atomically (write to a unique
// temporary file, fsync, rename). `next` builds and advances at once (a POS that keeps and
// resends what it built); `prepare` builds without advancing, and `advance` moves the head once
// receipts were accepted (a sender that would otherwise lose unsent receipts, as `eisal submit`).
// One writer per file: two processes sharing a chain file would fork the chain.

import EisalCore
import Foundation

/// The chain head of POS devices, persisted in a JSON file.
public actor POSReceiptChain {
    /// The file (`{"POS-SERIAL": {"previousUUID": "…", "count": n}, …}`).
    public let path: String
    private var heads: [String: (uuid: String, count: Int)] = [:]

    /// Opens (or starts) the chain file at `path`.
    public init(path: String) throws {
        self.path = path
        if let data = FileManager.default.contents(atPath: path), !data.isEmpty {
            let root = try JSONParser().parse(Array(data)).root
            for (serial, head) in root.members {
                heads[serial] = (head["previousUUID"]?.string ?? "", Int(head["count"]?.numberLexeme ?? "0") ?? 0)
            }
        }
    }

    /// The UUID the next receipt of `posSerial` names as `previousUUID` ("" for its first).
    public func previousUUID(of posSerial: String) -> String { heads[posSerial]?.uuid ?? "" }

    /// How many receipts of `posSerial` were built.
    public func count(of posSerial: String) -> Int { heads[posSerial]?.count ?? 0 }

    /// Builds the next `count` receipts of `posSerial`: `make(previousUUID, k)` builds the k-th
    /// with the given `previousUUID`; the chain advances and is saved once for all of them.
    public func next(_ count: Int, of posSerial: String, make: (String, Int) throws -> BuiltReceipt) throws -> [BuiltReceipt] {
        let built = try prepare(count, of: posSerial, make: make)
        if let last = built.last { try advance(posSerial, to: last, adding: built.count) }
        return built
    }

    /// Builds the next `count` receipts of `posSerial` like ``next(_:of:make:)`` without moving
    /// the chain: call ``advance(_:to:adding:)`` once they (or the first of them) were accepted.
    public func prepare(_ count: Int, of posSerial: String, make: (String, Int) throws -> BuiltReceipt) throws -> [BuiltReceipt] {
        var previous = previousUUID(of: posSerial)
        var built: [BuiltReceipt] = []
        built.reserveCapacity(count)
        for k in 0 ..< count {
            let receipt = try make(previous, k)
            guard receipt.receipt.header.previousUUID == previous else {
                throw POSReceiptChainError(message: "receipt \(receipt.receipt.header.receiptNumber) names previousUUID '\(receipt.receipt.header.previousUUID)', but the chain of \(posSerial) is at '\(previous)'")
            }
            built.append(receipt)
            previous = receipt.uuid
        }
        return built
    }

    /// Moves the head of `posSerial` to `receipt` (the last of `adding` receipts now accepted) and saves.
    public func advance(_ posSerial: String, to receipt: BuiltReceipt, adding: Int) throws {
        heads[posSerial] = (receipt.uuid, (heads[posSerial]?.count ?? 0) + adding)
        try save()
    }

    private func save() throws {
        let value = JSONValue.object(heads.sorted { $0.key < $1.key }.map { serial, head in
            (serial, .object([("previousUUID", .string(head.uuid)), ("count", .number(String(head.count)))]))
        })
        let temporary = path + ".\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(JSONWriter(indent: 2).bytes(value))) else {
            throw POSReceiptChainError(message: "cannot write \(temporary)")
        }
        if let handle = FileHandle(forUpdatingAtPath: temporary) {
            try? handle.synchronize()
            try? handle.close()
        }
        guard rename(temporary, path) == 0 else { throw POSReceiptChainError(message: "cannot replace \(path): errno \(errno)") }
    }
}

/// Why the chain could not advance.
public struct POSReceiptChainError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in words.
    public let message: String
    public var description: String { message }
}
