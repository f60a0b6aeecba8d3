import Hummingbird
import Logging
import NIOCore

/// The request context of every platform route.
public struct EisalRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's address (per-IP throttling of the token and share APIs).
    public let remoteAddress: SocketAddress?
    /// Who is calling, from a valid Bearer token (``AuthenticatorMiddleware``); nil without one.
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The caller, or a 401 in the contract's envelope.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw PlatformError.unauthorized }
        return principal
    }
}

/// Verifies the Bearer token of a request once and puts its principal into the context; routes
/// that need a caller ask ``EisalRequestContext/requirePrincipal()`` (401 when there is none).
struct AuthenticatorMiddleware: RouterMiddleware {
    typealias Context = EisalRequestContext
    let tokens: TokenService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authorization = request.headers[.authorization], authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            return try await next(request, context)
        }
        var context = context
        context.principal = tokens.verify(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        return try await next(request, context)
    }
}
