import EisalStore
import Hummingbird

/// The read APIs under `/api/v1/` (and `/api/v1.0/`).
struct QueryRoutes<Store: PlatformStore> {
    let query: QueryService<Store>

    func register(on group: RouterGroup<EisalRequestContext>) {
        group.get("receiptsubmissions/{uuid}/details") { request, context -> Response in
            let principal = try context.requirePrincipal()
            return try Response.json(try await query.submissionDetails(uuid: try context.parameters.require("uuid"), principal: principal, query: try request.queryParameters()))
        }
        group.get("receipts/search") { request, context -> Response in
            let principal = try context.requirePrincipal()
            return try Response.json(try await query.search(principal: principal, query: try request.queryParameters(), recent: false))
        }
        group.get("receipts/recent") { request, context -> Response in
            let principal = try context.requirePrincipal()
            return try Response.json(try await query.search(principal: principal, query: try request.queryParameters(), recent: true))
        }
        group.get("receipts/{uuid}/raw") { request, context -> Response in
            let principal = try context.requirePrincipal()
            return try Response.json(try await query.raw(uuid: try context.parameters.require("uuid"), principal: principal))
        }
        group.get("receipts/{uuid}/details") { request, context -> Response in
            let principal = try context.requirePrincipal()
            return try Response.json(try await query.details(uuid: try context.parameters.require("uuid"), principal: principal))
        }
        group.get("receipts/{uuid}/share") { request, context -> Response in
            // No authentication: the issue date-time acts as a second factor.
            try Response.json(try await query.share(uuid: try context.parameters.require("uuid"), dateTimeIssued: try request.queryParameters()["dateTimeIssued"]))
        }
    }
}

extension Request {
    /// The query string decoded as ASP.NET decodes it (`+` is a space, then `%XX`), names
    /// matched case-insensitively; a value with a control character (`%00`, …) is a `BadArgument`.
    func queryParameters() throws -> QueryParameters {
        let parameters = QueryParameters(query: uri.query)
        if let name = parameters.nameWithControlCharacter {
            throw PlatformError.badArgument("\(name) contains a control character.", target: name)
        }
        return parameters
    }
}
