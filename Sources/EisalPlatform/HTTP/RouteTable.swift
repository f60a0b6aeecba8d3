// The methods each route path accepts, for `405 Method Not Allowed` with `Allow` (RFC 9110 §15.5.6):
// the router answers a known path called with another method the same way as an unknown path,
// so the error middleware asks this table which of the two it was.

import HTTPTypes
import Hummingbird
import Synchronization

/// Route paths and their methods, loaded once the routes are registered.
final class RouteTable: Sendable {
    /// A path pattern: literal components, `nil` for a captured one.
    private struct Pattern: Sendable {
        var components: [Substring?]
        var methods: Set<String>
    }

    private let patterns = Mutex<[Pattern]>([])

    init() {}

    /// Takes the routes of `router` (call after every route is added).
    func load(_ router: Router<some RequestContext>) {
        var byPath: [String: Set<String>] = [:]
        for route in router.routes { byPath[route.path.description, default: []].insert(route.method.rawValue) }
        let loaded = byPath.map { path, methods in
            Pattern(components: path.split(separator: "/").map { $0.hasPrefix("{") || $0 == "*" || $0.hasPrefix(":") ? nil : $0 }, methods: methods)
        }
        patterns.withLock { $0 = loaded }
    }

    /// The methods allowed on `path` (sorted, `HEAD` with `GET`), or nil when no route has that path.
    func allowedMethods(path: String) -> [String]? {
        let parts = path.split(separator: "/")
        var methods: Set<String> = []
        patterns.withLock { patterns in
            for pattern in patterns where pattern.components.count == parts.count {
                if zip(pattern.components, parts).allSatisfy({ $0.0 == nil || $0.0 == $0.1 }) { methods.formUnion(pattern.methods) }
            }
        }
        guard !methods.isEmpty else { return nil }
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }
}
