// Trust anchors and certificate paths. A path is built from the signer's certificate through the
// certificates the signature carries up to a configured anchor: each link is an issuer whose
// subject is the child's issuer name and whose key verifies the child's signature, and every
// issuer below the anchor must be a CA (basicConstraints). Validity dates are not part of the
// path: they are checked per document against its `dateTimeIssued` (CAdESVerifier), so one
// path serves every document the certificate signs.
//
// Built here rather than with swift-certificates' `Verifier` because the verdict needs the
// failure kind (untrusted vs expired vs not yet valid, at the document's date, not the clock's),
// and a path cached per certificate keeps verification under a few hundred microseconds.
// Caches are bounded and guarded by a `Mutex`: verification is synchronous CPU work called
// from many worker tasks, and a lock held for a dictionary lookup is cheaper than an actor hop.

import Crypto
import Foundation
import SwiftASN1
import Synchronization
import X509

/// The certificates a signature must chain to, with caches of parsed certificates and paths.
public final class TrustStore: Sendable {
    /// The trust anchors.
    public let anchors: [Certificate]
    private let anchorDER: Set<[UInt8]>
    private let cache = Mutex(Caches())

    struct Caches {
        var certificates: [[UInt8]: CertificateEntry] = [:]
        var paths: [[UInt8]: Result<CertificatePath, CAdESError>] = [:]
    }

    /// A parsed certificate with what verification asks of it, computed once.
    struct CertificateEntry: Sendable {
        let certificate: Certificate
        let der: [UInt8]
        /// SHA-256 of the DER (signing-certificate-v2's usual hash, and the path cache's key).
        let sha256: [UInt8]
        /// The subject as text, for reports.
        let subject: String
        /// The registration numbers the subject names.
        let registrationNumbers: Set<String>
    }

    /// A path from a certificate to an anchor, leaf first, with its text for reports.
    struct CertificatePath: Sendable {
        let certificates: [Certificate]
        let description: String
    }

    /// Entries kept in each cache before it is emptied (a platform sees few distinct certificates).
    static let cacheLimit = 4096
    /// The largest certificate the cache keeps, in bytes.
    static let cachedCertificateBytes = 16 * 1024
    /// The longest path accepted, anchor included.
    static let maximumDepth = 8

    /// A store trusting `anchors` (roots or intermediates).
    public init(anchors: [Certificate]) {
        self.anchors = anchors
        self.anchorDER = Set(anchors.compactMap { try? Self.der($0) })
    }

    /// A store trusting every certificate in the PEM files at `paths`; a directory contributes
    /// its `.pem`, `.crt` and `.cer` files.
    public convenience init(pemPaths paths: [String]) throws {
        var anchors: [Certificate] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CAdESError(.untrustedChain, "Trust anchor file \(path) does not exist.")
            }
            let files = isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().filter { [".pem", ".crt", ".cer"].contains(where: $0.hasSuffix) }.map { path + "/" + $0 }
                : [path]
            for file in files {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                let documents = try PEMDocument.parseMultiple(pemString: text).filter { $0.discriminator == "CERTIFICATE" }
                guard !documents.isEmpty else { throw CAdESError(.untrustedChain, "\(file) holds no PEM certificate.") }
                for document in documents { anchors.append(try Certificate(derEncoded: document.derBytes)) }
            }
        }
        self.init(anchors: anchors)
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    /// The certificate whose DER is `der`, parsed once.
    func certificate(der: [UInt8]) throws -> CertificateEntry {
        if let known = cache.withLock({ $0.certificates[der] }) { return known }
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: der) } catch { throw CAdESError.malformed("An embedded certificate cannot be read: \(error).") }
        let entry = CertificateEntry(certificate: certificate, der: der, sha256: Array(SHA256.hash(data: der)), subject: "\(certificate.subject)",
                                     registrationNumbers: RegistrationNumbers.named(by: certificate.subject))
        // Only ordinary certificates are kept (a real seal is 1–3 KB): the cache stays small whatever is sent.
        if der.count <= Self.cachedCertificateBytes {
            cache.withLock { caches in
                if caches.certificates.count >= Self.cacheLimit { caches.certificates.removeAll(keepingCapacity: true) }
                caches.certificates[der] = entry
            }
        }
        return entry
    }

    /// The path from `leaf` to an anchor through `pool`, leaf first and anchor last.
    func path(leaf: CertificateEntry, pool: [CertificateEntry]) -> Result<CertificatePath, CAdESError> {
        var key = leaf.sha256
        for entry in pool { key += entry.sha256 }
        if let known = cache.withLock({ $0.paths[key] }) { return known }
        let result = Result(catching: {
            let path = try buildPath(leaf: leaf.certificate, leafDER: leaf.der, pool: pool.map(\.certificate))
            return CertificatePath(certificates: path, description: path.map { "\"\($0.subject)\"" }.joined(separator: " ← "))
        }).mapError { $0 as? CAdESError ?? CAdESError(.untrustedChain, "\($0)") }
        cache.withLock { caches in
            if caches.paths.count >= Self.cacheLimit { caches.paths.removeAll(keepingCapacity: true) }
            caches.paths[key] = result
        }
        return result
    }

    /// The most signature checks one path may take (a bound on hostile certificate sets).
    static let maximumSignatureChecks = 32

    private func buildPath(leaf: Certificate, leafDER: [UInt8], pool: [Certificate]) throws -> [Certificate] {
        guard !anchors.isEmpty else { throw CAdESError(.untrustedChain, "No trust anchor is configured, so no certificate can be trusted.") }
        if anchorDER.contains(leafDER) { return [leaf] }
        var checks = 0
        /// Whether `issuer` issued `child`: names chain and the issuer's key verifies the child.
        func issued(_ child: Certificate, by issuer: Certificate) throws -> Bool {
            guard issuer.subject == child.issuer else { return false }
            checks += 1
            guard checks <= Self.maximumSignatureChecks else {
                throw CAdESError(.untrustedChain, "The certificates offer more than \(Self.maximumSignatureChecks) candidate issuers; the chain is refused.")
            }
            guard child.signatureAlgorithm != .sha1WithRSAEncryption else {
                throw CAdESError(.untrustedChain, "\"\(child.subject)\" is signed with SHA-1, which is not accepted.")
            }
            return issuer.publicKey.isValidSignature(child.signature, for: child)
        }
        var path = [leaf]
        var current = leaf
        while path.count < Self.maximumDepth {
            if let anchor = try anchors.first(where: { try issued(current, by: $0) }) {
                path.append(anchor)
                try Self.checkIssuers(path)
                return path
            }
            guard let issuer = try pool.first(where: { candidate in try !path.contains(candidate) && issued(current, by: candidate) }) else {
                let selfSigned = current.issuer == current.subject
                throw CAdESError(.untrustedChain, selfSigned
                    ? "The chain ends at the self-signed certificate \"\(current.subject)\", which is not a trust anchor."
                    : "No trust anchor or included certificate issued \"\(current.subject)\" (its issuer is \"\(current.issuer)\").")
            }
            path.append(issuer)
            current = issuer
        }
        throw CAdESError(.untrustedChain, "The chain is longer than \(Self.maximumDepth) certificates.")
    }

    /// RFC 5280's rules for the issuers of a path (leaf first): each is a CA (the anchor may be any
    /// certificate the operator chose to trust), may sign certificates (keyCertSign, when it has a
    /// key usage), and allows as many CAs below it as there are (pathLenConstraint).
    static func checkIssuers(_ path: [Certificate]) throws {
        for (index, issuer) in path.enumerated().dropFirst() {
            let isAnchor = index == path.count - 1
            let constraints: BasicConstraints?
            do { constraints = try issuer.extensions.basicConstraints } catch { throw CAdESError(.untrustedChain, "\"\(issuer.subject)\" has unreadable basic constraints.") }
            switch constraints {
            case .isCertificateAuthority(let maxPathLength)?:
                let below = index - 1 // CA certificates between this issuer and the leaf
                if let maxPathLength, below > maxPathLength {
                    throw CAdESError(.untrustedChain, "\"\(issuer.subject)\" allows \(maxPathLength) CA certificate(s) below it, but the path has \(below).")
                }
            case .notCertificateAuthority?:
                throw CAdESError(.untrustedChain, "\"\(issuer.subject)\" issued \"\(path[index - 1].subject)\" but is not a CA (basicConstraints).")
            case nil:
                guard isAnchor else { throw CAdESError(.untrustedChain, "\"\(issuer.subject)\" issued \"\(path[index - 1].subject)\" but is not a CA (no basicConstraints).") }
            }
            let usage: KeyUsage?
            do { usage = try issuer.extensions.keyUsage } catch { throw CAdESError(.untrustedChain, "\"\(issuer.subject)\" has an unreadable key usage.") }
            if let usage, !usage.keyCertSign {
                throw CAdESError(.untrustedChain, "\"\(issuer.subject)\" may not sign certificates (its key usage lacks keyCertSign).")
            }
        }
    }
}
