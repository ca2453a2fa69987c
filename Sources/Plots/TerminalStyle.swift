import Foundation

/// Whether terminal drawings may use ANSI colours.
public enum TerminalStyle: Equatable, Sendable {
    /// Plain Unicode shades only (pipes, files, NO_COLOR, TERM=dumb).
    case plain
    /// 256-colour ANSI backgrounds.
    case ansi256

    /// `ansi256` only when the output is a terminal, `NO_COLOR` is unset or empty (https://no-color.org)
    /// and `TERM` is not `dumb`.
    public static func detect(
        isTTY: Bool, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> TerminalStyle {
        if !isTTY { return .plain }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .plain }
        if environment["TERM"] == "dumb" { return .plain }
        return .ansi256
    }

    /// `detect` for standard output.
    public static func forStandardOutput() -> TerminalStyle {
        detect(isTTY: isatty(STDOUT_FILENO) != 0)
    }
}

/// Display width of terminal text: characters, not counting ANSI escape sequences (`ESC [ … m`).
public func terminalWidth(_ text: String) -> Int {
    var width = 0
    var inEscape = false
    for scalar in text.unicodeScalars {
        if inEscape {
            if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
            continue
        }
        if scalar == "\u{1B}" {
            inEscape = true
            continue
        }
        // Combining marks and zero-width joiners take no column.
        if scalar.properties.generalCategory == .nonspacingMark || scalar == "\u{200D}" { continue }
        width += scalar.properties.isEmojiPresentation || isWide(scalar) ? 2 : 1
    }
    return width
}

/// East-Asian wide ranges (CJK, Hangul, full-width forms): two terminal columns.
private func isWide(_ s: Unicode.Scalar) -> Bool {
    switch s.value {
    case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
        0xFFE0...0xFFE6, 0x20000...0x3FFFD:
        return true
    default: return false
    }
}
