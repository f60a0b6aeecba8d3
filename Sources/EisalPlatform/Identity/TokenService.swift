// Access tokens: JWTs signed with HS256 by a key kept in the shared database, so any node
// sharing the database verifies any token without a lookup. Lifetime 60 minutes by default
// (ETA SDK /api/01-login-as-taxpayer-system/, FAQ "cached for the lifetime of the token").
// ETA's claim set is not public; clients read only `access_token`/`expires_in`, and the B2C
// tag claim name `TaxProfTags` is taken from spec/identity.md.

import Crypto
import EisalCore
import Foundation
import Synchronization

/// Who is calling, as carried by a verified token.
public struct Principal: Sendable, Hashable, Codable {
    /// The ERP/POS client id.
    public var sub: String
    /// The taxpayer the token acts for.
    public var tin: String
    /// POS serial for POS logins.
    public var pos: String?
    /// `POS` or `ERP`.
    public var ch: String
    /// Other taxpayers the client may act for (intermediary permission).
    public var rep: [String]
    /// Taxpayer profile tags (`B2C`).
    public var TaxProfTags: [String]
    public var scope: String
    public var iat: Int64
    public var exp: Int64
    public var jti: String

    /// Whether receipts issued by `rin` may be submitted with this token.
    public func mayActFor(_ rin: String) -> Bool { rin == tin || rep.contains(rin) }
}

/// Issues and verifies access tokens.
struct TokenService: Sendable {
    let key: SymmetricKey
    let lifetime: Int64
    let clock: PlatformClock
    /// Tokens whose signature was already checked.
    let verified = VerifiedTokens()

    static let header = base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    func issue(_ principal: Principal) throws -> String {
        let payload = JSONWriter().bytes(try JSONValueEncoder().encode(principal))
        let signingInput = Self.header + "." + Self.base64URL(payload)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: key)
        return signingInput + "." + Self.base64URL(Array(mac))
    }

    /// The principal of a valid, unexpired token; `nil` otherwise.
    func verify(_ token: String) -> Principal? {
        // A token is verified once; later uses only check its expiry against the clock.
        if let known = verified.principal(for: token) { return known.exp > clock.now() ? known : nil }
        guard let principal = verifySignature(token) else { return nil }
        verified.remember(token, principal)
        return principal
    }

    func verifySignature(_ token: String) -> Principal? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.header,
              let signature = Self.decodeBase64URL(parts[2]), let payload = Self.decodeBase64URL(parts[1]) else { return nil }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key),
              let document = try? JSONParser().parse(payload),
              let principal = try? JSONNodeDecoder().decode(Principal.self, from: document.root),
              principal.exp > clock.now() else { return nil }
        return principal
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: Substring) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { [UInt8]($0) }
    }
}

/// Random identifiers and secret hashing.
enum Identifiers {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// Upper-case base-32 text of `length` random characters (submission UUIDs look like
    /// `TZRKK8MFZCPSTW9XCYWBMKME10`).
    static func random(_ length: Int) -> String {
        var source = Source()
        return source.next(length)
    }

    /// Many random identifiers from one system seed: SHA-256 of a 256-bit secret seed and a
    /// counter (a PRF in counter mode), so a submission's hundred `longId`s cost one seed read
    /// instead of a system call per word.
    struct Source {
        private var seed: [UInt8]
        private var counter: UInt64 = 0

        init() {
            var rng = SystemRandomNumberGenerator()
            seed = (0 ..< 4).flatMap { _ in withUnsafeBytes(of: rng.next()) { Array($0) } }
        }

        mutating func next(_ length: Int) -> String {
            var out: [UInt8] = []
            out.reserveCapacity(length)
            while out.count < length {
                counter += 1
                var hasher = SHA256()
                hasher.update(data: seed)
                withUnsafeBytes(of: counter) { hasher.update(bufferPointer: $0) }
                // 256 is a multiple of 32: each byte's low five bits are uniform.
                for byte in hasher.finalize() where out.count < length { out.append(alphabet[Int(byte & 31)]) }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// A UUID-shaped random secret (ETA shows client ids and secrets in this form).
    static func secret() -> String { UUID().uuidString.lowercased() }

    /// `salt$hex(SHA-256(salt + secret))`.
    static func hashSecret(_ secret: String, salt: String = random(16)) -> String {
        salt + "$" + Hex.lowercase(SHA256.hash(data: Array((salt + secret).utf8)))
    }

    static func verifySecret(_ secret: String, against stored: String) -> Bool {
        guard let dollar = stored.firstIndex(of: "$") else { return false }
        let expected = hashSecret(secret, salt: String(stored[..<dollar]))
        return expected.utf8.count == stored.utf8.count && zip(expected.utf8, stored.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Tokens whose signature has been checked, with their principals (a POS sends the same token
/// for its whole lifetime). Bounded: emptied when full.
final class VerifiedTokens: Sendable {
    private let state = Mutex<[String: Principal]>([:])
    static let capacity = 4096

    func principal(for token: String) -> Principal? {
        state.withLock { $0[token] }
    }

    func remember(_ token: String, _ principal: Principal) {
        state.withLock { known in
            if known.count >= Self.capacity { known.removeAll(keepingCapacity: true) }
            known[token] = principal
        }
    }
}
