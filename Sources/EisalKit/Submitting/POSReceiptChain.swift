// The `previousUUID` chain of one POS (spec/receipt-structure.md: each receipt names the UUID of
// the POS's previous receipt, "" on its first), kept in a small file so a restarted POS continues
// its chain instead of starting a new one. The file is replaced atomically (write, fsync, rename)
// after each receipt or batch is built, before it is sent: a receipt that was built is the
// chain's head even if its submission fails, as the platform expects of a POS that retries.

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
        heads[posSerial] = (previous, (heads[posSerial]?.count ?? 0) + built.count)
        try save()
        return built
    }

    private func save() throws {
        let value = JSONValue.object(heads.sorted { $0.key < $1.key }.map { serial, head in
            (serial, .object([("previousUUID", .string(head.uuid)), ("count", .number(String(head.count)))]))
        })
        let temporary = path + ".tmp"
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
