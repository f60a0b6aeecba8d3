// Text helpers of the canonical form: invariant upper case, and the shortest text of a double.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Text helpers of the canonical form.
public enum CanonicalText {
    /// Culture-invariant upper case with simple (one-to-one) case mapping, as .NET's
    /// `ToUpperInvariant`: `ß` stays `ß` rather than becoming `SS`.
    public static func invariantUpperCased(_ s: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            let mapped = scalar.properties.uppercaseMapping.unicodeScalars
            if mapped.count == 1, let single = mapped.first { scalars.append(single) } else { scalars.append(scalar) }
        }
        return String(scalars)
    }

    /// Decimal digits and exponent of the shortest round-trip form of a double:
    /// value = 0.d1d2…dk × 10^exponent.
    static func shortestDigits(_ value: Double) -> (digits: String, exponent: Int) {
        // Swift's description is the shortest round-trip representation.
        var text = Swift.abs(value).description
        var exponentPart = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponentPart = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = integer + fraction
        var exponent = integer.count + exponentPart
        while digits.hasPrefix("0"), digits.count > 1 { digits.removeFirst(); exponent -= 1 }
        while digits.hasSuffix("0"), digits.count > 1 { digits.removeLast() }
        if digits == "0" { exponent = 1 }
        return (digits, exponent)
    }

    /// A number lexeme as JavaScript's `Number.prototype.toString` (and .NET Core's
    /// `double.ToString()`) would print it after parsing it as a double.
    public static func shortestDouble(_ lexeme: String) -> String {
        guard let value = Double(lexeme), value.isFinite else { return lexeme }
        if value == 0 { return "0" }
        let (digits, n) = shortestDigits(value)
        let k = digits.count
        let sign = value < 0 ? "-" : ""
        if k <= n, n <= 21 { return sign + digits + String(repeating: "0", count: n - k) }
        if n > 0, n <= 21 {
            let i = digits.index(digits.startIndex, offsetBy: n)
            return sign + digits[..<i] + "." + digits[i...]
        }
        if n > -6, n <= 0 { return sign + "0." + String(repeating: "0", count: -n) + digits }
        let e = n - 1
        let mantissa = k == 1 ? digits : String(digits.prefix(1)) + "." + digits.dropFirst()
        return sign + mantissa + "e" + (e >= 0 ? "+" : "-") + String(Swift.abs(e))
    }

    /// A number lexeme as Python prints it after `json.loads`: a lexeme with a fraction or an
    /// exponent becomes a `float` and prints as `repr(float(lexeme))` (`14.00` → `14.0`); an
    /// integer lexeme becomes an `int` and prints unchanged (`2` → `2`, `-0` → `0`).
    public static func pythonFloat(_ lexeme: String) -> String {
        if !lexeme.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            return lexeme.utf8.allSatisfy { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "0") } ? "0" : lexeme
        }
        guard let value = Double(lexeme), value.isFinite else { return lexeme }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let (digits, n) = shortestDigits(value)
        let sign = value < 0 ? "-" : ""
        let decimalExponent = n - 1
        if decimalExponent >= -4, decimalExponent < 16 {
            if n <= 0 { return sign + "0." + String(repeating: "0", count: -n) + digits }
            if digits.count <= n { return sign + digits + String(repeating: "0", count: n - digits.count) + ".0" }
            let i = digits.index(digits.startIndex, offsetBy: n)
            return sign + digits[..<i] + "." + digits[i...]
        }
        let mantissa = digits.count == 1 ? digits : String(digits.prefix(1)) + "." + digits.dropFirst()
        let e = decimalExponent
        return sign + mantissa + "e" + (e >= 0 ? "+" : "-") + (Swift.abs(e) < 10 ? "0" : "") + String(Swift.abs(e))
    }
}
