// Which callback URLs the platform calls (issue 16, item 2; spec/notifications.md stand-in):
// - sandbox (the default): `https` anywhere; `http` only to loopback or private addresses, so a
//   local receiver works out of the box and nothing goes over the Internet in clear;
// - production: `https` only (ETA: HTTPS with a certificate from a globally trusted CA), and no
//   host that resolves to a loopback, private, link-local, carrier-grade NAT, unspecified,
//   multicast or cloud-metadata address (SSRF). Checked at registration and again before every
//   delivery, since DNS answers change.
// A resolver that changes its answer between this check and the connection could still race it:
// production deployments that must rule that out put callbacks behind an egress proxy.

import Foundation
import NIOCore
import NIOPosix

/// A callback base URL as the platform will call it.
struct CallbackTarget: Sendable, Hashable {
    /// The base URL without a trailing slash.
    var base: String
    var scheme: String
    var host: String

    /// `base` + `/` + `path`.
    func url(_ path: String) -> String { base + "/" + path }
}

/// Why a callback URL is refused.
struct CallbackRefusal: Error, CustomStringConvertible {
    var description: String
}

/// The rules for callback URLs in one mode.
struct CallbackPolicy: Sendable {
    let mode: NotificationSettings.Mode

    /// The URL's shape: absolute http(s), a host, no user info or fragment.
    func target(_ url: String) throws(CallbackRefusal) -> CallbackTarget {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty else {
            throw CallbackRefusal(description: "'\(url)' is not an absolute http(s) URL.")
        }
        guard scheme == "https" || scheme == "http" else { throw CallbackRefusal(description: "The callback URL must be https (or http in the sandbox), not \(scheme).") }
        if mode == .production, scheme != "https" { throw CallbackRefusal(description: "In production mode callbacks must be https (ETA calls ERPs over HTTPS only).") }
        guard components.user == nil, components.password == nil, components.fragment == nil, components.query == nil else {
            throw CallbackRefusal(description: "The callback URL must not carry user info, a query or a fragment.")
        }
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        return CallbackTarget(base: base, scheme: scheme, host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased())
    }

    /// Resolves the target's host and checks every address it resolves to.
    func checkAddresses(_ target: CallbackTarget) async throws(CallbackRefusal) {
        let addresses = await Self.resolve(target.host)
        guard !addresses.isEmpty else { throw CallbackRefusal(description: "The callback host '\(target.host)' does not resolve.") }
        switch mode {
        case .production:
            if let inner = addresses.first(where: { AddressClass.of($0) != .public }) {
                throw CallbackRefusal(description: "In production mode callbacks may not target \(AddressClass.of(inner).rawValue) addresses ('\(target.host)' resolves to \(inner)).")
            }
        case .sandbox:
            if target.scheme == "http", let outside = addresses.first(where: { ![.loopback, .private].contains(AddressClass.of($0)) }) {
                throw CallbackRefusal(description: "Plain http callbacks are for loopback and private addresses only ('\(target.host)' resolves to \(outside)); use https.")
            }
        }
    }

    /// Every address `host` resolves to (an IP literal resolves to itself).
    static func resolve(_ host: String) async -> [String] {
        await withCheckedContinuation { continuation in
            NIOThreadPool.singleton.submit { _ in
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var result: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return continuation.resume(returning: []) }
                defer { freeaddrinfo(first) }
                var addresses: [String] = []
                var entry: UnsafeMutablePointer<addrinfo>? = first
                while let current = entry {
                    var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                    if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
                        addresses.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                    }
                    entry = current.pointee.ai_next
                }
                continuation.resume(returning: Array(Set(addresses)).sorted())
            }
        }
    }
}

/// What kind of network an address belongs to.
enum AddressClass: String, Sendable {
    case loopback, `private`, linkLocal = "link-local", metadata = "cloud metadata", unspecified, multicast, carrierNAT = "carrier-grade NAT", `public`

    static func of(_ address: String) -> AddressClass {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return of(v4: withUnsafeBytes(of: &v4) { Array($0) })
        }
        if inet_pton(AF_INET6, address, &v6) == 1 {
            let b = withUnsafeBytes(of: &v6) { Array($0) }
            if b[0 ..< 10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF { return of(v4: Array(b[12 ..< 16])) } // ::ffff:a.b.c.d
            if b.allSatisfy({ $0 == 0 }) { return .unspecified }
            if b[0 ..< 15].allSatisfy({ $0 == 0 }), b[15] == 1 { return .loopback }
            if b[0] == 0xFE, b[1] & 0xC0 == 0x80 { return .linkLocal }
            if b[0] & 0xFE == 0xFC { return b[0 ..< 4] == [0xFD, 0x00, 0x0E, 0xC2] ? .metadata : .private } // fd00:ec2::/32 is AWS's metadata
            if b[0] == 0xFF { return .multicast }
            return .public
        }
        return .unspecified
    }

    static func of(v4 b: [UInt8]) -> AddressClass {
        switch (b[0], b[1]) {
        case (127, _): return .loopback
        case (10, _), (172, 16 ... 31), (192, 168): return .private
        case (169, 254): return b[2] == 169 && b[3] == 254 ? .metadata : .linkLocal
        case (100, 64 ... 127): return .carrierNAT
        case (0, _): return .unspecified
        case (224 ... 255, _): return .multicast
        default: return .public
        }
    }
}
