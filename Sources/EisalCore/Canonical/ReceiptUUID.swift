// Receipt UUID and document hash.
// Source: ETA SDK /receiptissuancefaq/ "How to generate receipt UUID?" (quoted by R-SERVE
// serialize.ts), /document-serialization-approach/, /signature-creation/ step 1;
// shared/spec/serialization.md "Receipt UUID" and "Document (invoice) hash for signing".
//
// UUID = lower-case hex SHA-256 of canonical(receipt with header.uuid set to "" in place).

import Crypto

/// Computes receipt UUIDs and document digests from received JSON.
public enum ReceiptUUID {
    /// The UUID of `receipt` (one element of `receipts[]`, as received): SHA-256 of its canonical
    /// text with `header.uuid` blanked in place, as 64 lower-case hex characters.
    public static func compute(_ receipt: JSONNode) -> String {
        Hex.lowercase(digest(receipt))
    }

    /// The SHA-256 digest behind ``compute(_:)`` (the UUID before hex encoding).
    public static func digest(_ receipt: JSONNode) -> SHA256.Digest {
        CanonicalSerializer.eta.withCanonicalBytes(receipt, root: .receipt) { text in
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(text))
            return hasher.finalize()
        }
    }

    /// The canonical text that ``compute(_:)`` hashes.
    public static func canonicalText(_ receipt: JSONNode) -> String {
        String(decoding: CanonicalSerializer(style: .eta).bytes(receipt, root: .receipt), as: UTF8.self)
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func hexDigest<D: DataProtocol>(_ bytes: D) -> String {
        Hex.lowercase(SHA256.hash(data: bytes))
    }

    /// Whether a claimed UUID matches the computed one. Decision (serialization.md): compared
    /// case-insensitively; the platform returns the lower-case form.
    public static func matches(claimed: String, computed: String) -> Bool {
        claimed.count == computed.count && claimed.lowercased() == computed
    }
}

/// The digest an invoice document is signed over.
public enum DocumentDigest {
    /// SHA-256 of canonical(document without its `signatures` member).
    public static func compute(_ document: JSONNode) -> SHA256.Digest {
        SHA256.hash(data: CanonicalSerializer(style: .eta).bytes(document, root: .document))
    }
}

/// Hex encoding.
public enum Hex {
    /// Lower-case hex of a sequence of bytes.
    public static func lowercase<S: Sequence<UInt8>>(_ bytes: S) -> String {
        Array(bytes).withUnsafeBytes { lowercase(raw: $0) }
    }

    /// Lower-case hex of a SHA-256 digest (no intermediate array).
    public static func lowercase(_ digest: SHA256.Digest) -> String {
        digest.withUnsafeBytes { lowercase(raw: $0) }
    }

    static func lowercase(raw bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (i, b) in bytes.enumerated() {
                buffer[2 * i] = digit(b >> 4)
                buffer[2 * i + 1] = digit(b & 0xF)
            }
            return bytes.count * 2
        }
    }

    @inline(__always)
    static func digit(_ v: UInt8) -> UInt8 { v < 10 ? v + 48 : v + 87 }
}

import Foundation
