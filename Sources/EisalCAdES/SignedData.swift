// A CMS `SignedData` (RFC 5652 §5) read from BER or DER: what CAdES-BES verification needs and
// nothing more. Real signers differ in encoding: .NET's SignedCms writes DER, Java's BouncyCastle
// often writes BER with indefinite lengths, openssl writes either. All are read; the signed
// attributes are kept as the bytes that were sent, since the signature covers exactly those.

import SwiftASN1
import X509

/// An algorithm identifier: its OID and the DER bytes of its parameters, if any.
struct AlgorithmIdentifier: Hashable, Sendable {
    var algorithm: ASN1ObjectIdentifier
    var parameters: ASN1Node?

    init(algorithm: ASN1ObjectIdentifier, parameters: ASN1Node? = nil) {
        self.algorithm = algorithm
        self.parameters = parameters
    }

    init(_ node: ASN1Node) throws {
        let children = try BERNodes.children(of: node, .sequence, what: "AlgorithmIdentifier")
        guard let first = children.first, children.count <= 2 else { throw CAdESError.malformed("An AlgorithmIdentifier has \(children.count) members.") }
        algorithm = try BERNodes.oid(first, what: "algorithm")
        // An explicit NULL is the same as absent parameters.
        parameters = children.count == 2 && children[1].identifier != .null ? children[1] : nil
    }
}

/// How the signer names its certificate (RFC 5652 §5.3 SignerIdentifier).
enum SignerIdentifier: Hashable, Sendable {
    case issuerAndSerialNumber(issuer: DistinguishedName, serial: ArraySlice<UInt8>)
    case subjectKeyIdentifier(ArraySlice<UInt8>)

    func matches(_ certificate: Certificate) -> Bool {
        switch self {
        case .issuerAndSerialNumber(let issuer, let serial):
            return certificate.issuer == issuer && BERNodes.integer(serial, equalsUnsigned: certificate.serialNumber.bytes)
        case .subjectKeyIdentifier(let key):
            return (try? certificate.extensions.subjectKeyIdentifier)??.keyIdentifier == key
        }
    }
}

/// One signed attribute: its type and its values as parsed nodes.
struct SignedAttribute: Sendable {
    var type: ASN1ObjectIdentifier
    var values: [ASN1Node]
}

/// One `SignerInfo`.
struct SignerInfo: Sendable {
    var identifier: SignerIdentifier
    var digestAlgorithm: AlgorithmIdentifier
    /// The signed attributes re-tagged as a DER `SET OF` (0x31): the bytes the signature covers.
    var signedAttributesBytes: [UInt8]
    var signedAttributes: [SignedAttribute]
    var signatureAlgorithm: AlgorithmIdentifier
    var signature: [UInt8]

    func attribute(_ type: ASN1ObjectIdentifier) -> SignedAttribute? { signedAttributes.first { $0.type == type } }
}

/// A parsed `SignedData`.
struct SignedData: Sendable {
    var encapsulatedContentType: ASN1ObjectIdentifier
    /// The encapsulated content (`-nodetach`), or nil when the content is detached.
    var encapsulatedContent: [UInt8]?
    /// The DER of each embedded X.509 certificate (read into `Certificate`s by the trust store's cache).
    var certificates: [[UInt8]]
    var signerInfos: [SignerInfo]

    /// The largest signature value accepted (a CAdES-BES with a chain of a few certificates is
    /// 2–8 KB; anything far bigger is refused before any parsing).
    static let maximumBytes = 256 * 1024
    /// The most certificates a signature may carry (a seal and its issuing CAs are 2–4).
    static let maximumCertificates = 16

    /// Reads a `ContentInfo` holding a `SignedData` from BER or DER bytes.
    init(berEncoded bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { throw CAdESError.malformed("The signature value is empty.") }
        guard bytes.count <= Self.maximumBytes else { throw CAdESError.malformed("The signature value is \(bytes.count) bytes; at most \(Self.maximumBytes) are accepted.") }
        let root: ASN1Node
        do { root = try BER.parse(bytes) } catch { throw CAdESError.malformed("The signature value is not DER/BER: \(error).") }
        let contentInfo = try BERNodes.children(of: root, .sequence, what: "ContentInfo")
        guard contentInfo.count == 2 else { throw CAdESError.malformed("ContentInfo has \(contentInfo.count) members, not 2.") }
        let contentType = try BERNodes.oid(contentInfo[0], what: "ContentInfo.contentType")
        guard contentType == OID.signedData else {
            throw CAdESError.malformed("The CMS content type is \(contentType), not SignedData (1.2.840.113549.1.7.2).")
        }
        let wrapped = try BERNodes.children(of: contentInfo[1], ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific), what: "ContentInfo.content")
        guard wrapped.count == 1 else { throw CAdESError.malformed("ContentInfo.content holds \(wrapped.count) elements.") }
        let members = try BERNodes.children(of: wrapped[0], .sequence, what: "SignedData")
        var index = 0
        func next(_ what: String) throws -> ASN1Node {
            guard index < members.count else { throw CAdESError.malformed("SignedData ends before its \(what).") }
            defer { index += 1 }
            return members[index]
        }
        _ = try BERNodes.integer(try next("version"), what: "SignedData.version")
        _ = try BERNodes.children(of: try next("digestAlgorithms"), .set, what: "SignedData.digestAlgorithms")
        let encapsulated = try BERNodes.children(of: try next("encapContentInfo"), .sequence, what: "EncapsulatedContentInfo")
        guard let eType = encapsulated.first, encapsulated.count <= 2 else { throw CAdESError.malformed("EncapsulatedContentInfo has \(encapsulated.count) members.") }
        encapsulatedContentType = try BERNodes.oid(eType, what: "eContentType")
        if encapsulated.count == 2 {
            let explicit = try BERNodes.children(of: encapsulated[1], ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific), what: "eContent")
            guard explicit.count == 1 else { throw CAdESError.malformed("eContent holds \(explicit.count) elements.") }
            encapsulatedContent = try BERNodes.octets(explicit[0], what: "eContent")
        } else {
            encapsulatedContent = nil
        }
        certificates = []
        signerInfos = []
        while index < members.count {
            let node = members[index]
            index += 1
            if node.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                for child in try BERNodes.children(of: node, node.identifier, what: "certificates") where child.identifier == .sequence {
                    // Attribute certificates and other choices are tagged and skipped.
                    certificates.append(Array(child.encodedBytes))
                    guard certificates.count <= Self.maximumCertificates else {
                        throw CAdESError.malformed("The signature carries more than \(Self.maximumCertificates) certificates.")
                    }
                }
            } else if node.identifier == ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific) {
                continue // CRLs: not used by CAdES-BES verification.
            } else if node.identifier == .set {
                for child in try BERNodes.children(of: node, .set, what: "signerInfos") {
                    signerInfos.append(try SignerInfo(child))
                }
            } else {
                throw CAdESError.malformed("SignedData has an unexpected member \(node.identifier).")
            }
        }
        guard !signerInfos.isEmpty else { throw CAdESError.unsupported("The SignedData has no SignerInfo.") }
    }
}

extension SignerInfo {
    init(_ node: ASN1Node) throws {
        let members = try BERNodes.children(of: node, .sequence, what: "SignerInfo")
        guard members.count >= 5 else { throw CAdESError.malformed("SignerInfo has \(members.count) members; at least 5 are needed.") }
        let version = try BERNodes.integer(members[0], what: "SignerInfo.version")
        let sid = members[1]
        if sid.identifier == .sequence {
            let parts = try BERNodes.children(of: sid, .sequence, what: "IssuerAndSerialNumber")
            guard parts.count == 2 else { throw CAdESError.malformed("IssuerAndSerialNumber has \(parts.count) members.") }
            let issuer: DistinguishedName
            do { issuer = try DistinguishedName(derEncoded: parts[0]) } catch { throw CAdESError.malformed("The signer's issuer name cannot be read: \(error).") }
            guard parts[1].identifier == .integer, case .primitive(let serial) = parts[1].content, !serial.isEmpty else {
                throw CAdESError.malformed("The signer's serial number is not an INTEGER.")
            }
            identifier = .issuerAndSerialNumber(issuer: issuer, serial: serial)
        } else if sid.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific), case .primitive(let key) = sid.content {
            identifier = .subjectKeyIdentifier(key)
        } else {
            throw CAdESError.malformed("SignerInfo.sid is neither IssuerAndSerialNumber nor a subject key identifier.")
        }
        _ = version
        digestAlgorithm = try AlgorithmIdentifier(members[2])
        var index = 3
        let signedTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
        guard members[index].identifier == signedTag else {
            throw CAdESError.unsupported("The SignerInfo has no signed attributes: CAdES-BES signs its attributes (content-type, message-digest, signing-certificate-v2), not the content directly.")
        }
        let attributesNode = members[index]
        index += 1
        var bytes = Array(attributesNode.encodedBytes)
        guard case .constructed = attributesNode.content, !bytes.isEmpty else { throw CAdESError.malformed("The signed attributes are not a SET.") }
        guard bytes[1] != 0x80 else { throw CAdESError.malformed("The signed attributes use an indefinite length; they must be DER.") }
        bytes[0] = 0x31 // [0] IMPLICIT SET OF → the universal SET the signature covers (RFC 5652 §5.4)
        signedAttributesBytes = bytes
        // RFC 5652 §5.4: the signature covers the DER encoding of the signed attributes.
        do { _ = try DER.parse(bytes) } catch { throw CAdESError.malformed("The signed attributes are not DER (\(error)); the signature covers their DER encoding.") }
        signedAttributes = try BERNodes.children(of: attributesNode, signedTag, what: "signedAttrs").map { attribute in
            let parts = try BERNodes.children(of: attribute, .sequence, what: "Attribute")
            guard parts.count == 2 else { throw CAdESError.malformed("A signed attribute has \(parts.count) members.") }
            return SignedAttribute(type: try BERNodes.oid(parts[0], what: "attrType"), values: try BERNodes.children(of: parts[1], .set, what: "attrValues"))
        }
        // RFC 5652 §11.1–11.3, RFC 5035: these attributes occur once, with one value.
        for type in [OID.contentTypeAttribute, OID.messageDigestAttribute, OID.signingTimeAttribute, OID.signingCertificate, OID.signingCertificateV2] {
            let found = signedAttributes.filter { $0.type == type }
            guard found.count <= 1, found.first.map({ $0.values.count == 1 }) ?? true else {
                throw CAdESError.malformed("The signed attribute \(type) must occur once with one value.")
            }
        }
        guard index + 1 < members.count else { throw CAdESError.malformed("SignerInfo ends before its signature.") }
        signatureAlgorithm = try AlgorithmIdentifier(members[index])
        signature = try BERNodes.octets(members[index + 1], what: "SignerInfo.signature")
        guard !signature.isEmpty else { throw CAdESError.malformed("The signature octets are empty.") }
    }
}

/// Small readers over swift-asn1's node tree that turn every surprise into `CAdESError.malformed`.
enum BERNodes {
    static func children(of node: ASN1Node, _ identifier: ASN1Identifier, what: String) throws -> [ASN1Node] {
        guard node.identifier == identifier else { throw CAdESError.malformed("\(what) has tag \(node.identifier), expected \(identifier).") }
        guard case .constructed(let collection) = node.content else { throw CAdESError.malformed("\(what) is primitive; expected a constructed value.") }
        return Array(collection)
    }

    static func oid(_ node: ASN1Node, what: String) throws -> ASN1ObjectIdentifier {
        do { return try ASN1ObjectIdentifier(berEncoded: node) } catch { throw CAdESError.malformed("\(what) is not an OBJECT IDENTIFIER.") }
    }

    static func integer(_ node: ASN1Node, what: String) throws -> Int {
        do { return try Int(berEncoded: node) } catch { throw CAdESError.malformed("\(what) is not a small INTEGER.") }
    }

    /// An OCTET STRING, primitive or (BER) constructed from primitive chunks.
    static func octets(_ node: ASN1Node, what: String) throws -> [UInt8] {
        guard node.identifier == .octetString else { throw CAdESError.malformed("\(what) has tag \(node.identifier), expected OCTET STRING.") }
        switch node.content {
        case .primitive(let bytes): return Array(bytes)
        case .constructed(let chunks):
            var out: [UInt8] = []
            for chunk in chunks { out += try octets(chunk, what: what) }
            return out
        }
    }

    /// Whether the content of a DER INTEGER is the non-negative number whose magnitude is
    /// `unsigned` (big-endian, as swift-certificates keeps serial numbers): a negative or
    /// non-minimal encoding never matches.
    static func integer(_ content: ArraySlice<UInt8>, equalsUnsigned unsigned: ArraySlice<UInt8>) -> Bool {
        guard let first = content.first, first < 0x80 else { return false }
        if content.count > 1, first == 0, content[content.index(after: content.startIndex)] < 0x80 { return false }
        let magnitude = first == 0 && content.count > 1 ? content.dropFirst() : content
        let expected = unsigned.drop(while: { $0 == 0 })
        return magnitude == expected || (expected.isEmpty && magnitude == [0])
    }

    /// The content of the DER INTEGER of the non-negative number `unsigned` (a leading 0x00 when
    /// its first byte has the high bit set).
    static func integerContent(unsigned: ArraySlice<UInt8>) -> [UInt8] {
        let magnitude = Array(unsigned.drop(while: { $0 == 0 }))
        guard let first = magnitude.first else { return [0] }
        return first >= 0x80 ? [0] + magnitude : magnitude
    }
}
