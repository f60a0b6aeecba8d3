// The private key a CAdES signature is made with. `CAdESSigningKey` is the seam for keys that
// never leave their device: a PKCS#11 hardware token (ETA's eSeal tokens) would conform by
// returning its public key and signing a SHA-256 digest on the token; Eisal ships software keys
// only (PEM here, PKCS#12 through EisalKit's loader).

import _CryptoExtras
import Crypto
import Foundation
import SwiftASN1
import X509

/// How a key signs.
public enum CAdESSignatureScheme: String, Sendable, CaseIterable {
    /// RSA with PKCS#1 v1.5 padding (what ETA's eSeal tokens produce).
    case rsaPKCS1v15 = "rsa"
    /// RSASSA-PSS with MGF1-SHA-256 and a 32-byte salt.
    case rsaPSS = "rsa-pss"
    /// ECDSA (P-256, P-384 or P-521).
    case ecdsa
}

/// A key that can sign the SHA-256 digest of CAdES signed attributes.
public protocol CAdESSigningKey: Sendable {
    /// The public half, compared with the signer certificate's.
    var publicKey: Certificate.PublicKey { get }
    /// How it signs.
    var scheme: CAdESSignatureScheme { get }
    /// The signature of `digest`: raw for RSA, DER `ECDSA-Sig-Value` for ECDSA.
    func signature(for digest: SHA256.Digest) throws -> [UInt8]
}

/// A software key held in memory.
public struct SoftwareSigningKey: CAdESSigningKey {
    enum Backing: Sendable {
        case p256(P256.Signing.PrivateKey), p384(P384.Signing.PrivateKey), p521(P521.Signing.PrivateKey), rsa(_RSA.Signing.PrivateKey)
    }
    let backing: Backing
    /// How it signs: ECDSA for EC keys; PKCS#1 v1.5, or PSS when asked, for RSA keys.
    public let scheme: CAdESSignatureScheme

    /// An ECDSA P-256 key.
    public init(_ key: P256.Signing.PrivateKey) { backing = .p256(key); scheme = .ecdsa }
    /// An ECDSA P-384 key.
    public init(_ key: P384.Signing.PrivateKey) { backing = .p384(key); scheme = .ecdsa }
    /// An ECDSA P-521 key.
    public init(_ key: P521.Signing.PrivateKey) { backing = .p521(key); scheme = .ecdsa }
    /// An RSA key, signing with PKCS#1 v1.5 unless `pss`.
    public init(_ key: _RSA.Signing.PrivateKey, pss: Bool = false) { backing = .rsa(key); scheme = pss ? .rsaPSS : .rsaPKCS1v15 }

    /// A key from PEM: PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
    public init(pem: String, pss: Bool = false) throws {
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) { self.init(key); return }
        if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) { self.init(key); return }
        if let key = try? P521.Signing.PrivateKey(pemRepresentation: pem) { self.init(key); return }
        if let key = try? _RSA.Signing.PrivateKey(unsafePEMRepresentation: pem) { self.init(key, pss: pss); return }
        throw CAdESError(.keyMismatch, "The PEM holds no RSA or EC (P-256/P-384/P-521) private key; an encrypted key must be decrypted first (openssl pkey -in key.pem -out plain.pem).")
    }

    /// A key from DER: PKCS#8, SEC1 or PKCS#1.
    public init(der: [UInt8], pss: Bool = false) throws {
        if let key = try? P256.Signing.PrivateKey(derRepresentation: der) { self.init(key); return }
        if let key = try? P384.Signing.PrivateKey(derRepresentation: der) { self.init(key); return }
        if let key = try? P521.Signing.PrivateKey(derRepresentation: der) { self.init(key); return }
        if let key = try? _RSA.Signing.PrivateKey(unsafeDERRepresentation: der) { self.init(key, pss: pss); return }
        throw CAdESError(.keyMismatch, "The DER holds no RSA or EC (P-256/P-384/P-521) private key.")
    }

    /// The public half of the key.
    public var publicKey: Certificate.PublicKey {
        switch backing {
        case .p256(let k): .init(k.publicKey)
        case .p384(let k): .init(k.publicKey)
        case .p521(let k): .init(k.publicKey)
        case .rsa(let k): .init(k.publicKey)
        }
    }

    /// The signature of `digest`: raw for RSA, DER `ECDSA-Sig-Value` for ECDSA.
    public func signature(for digest: SHA256.Digest) throws -> [UInt8] {
        switch backing {
        case .p256(let k): Array(try k.signature(for: digest).derRepresentation)
        case .p384(let k): Array(try k.signature(for: digest).derRepresentation)
        case .p521(let k): Array(try k.signature(for: digest).derRepresentation)
        case .rsa(let k): Array(try k.signature(for: digest, padding: scheme == .rsaPSS ? .PSS : .insecurePKCS1v1_5).rawRepresentation)
        }
    }
}
