import Foundation

/// A minimal RFC 4180 reader: comma-separated fields, optionally double-quoted (quoted fields may hold commas,
/// newlines and doubled quotes `""`); LF, CRLF or CR line ends; unquoted fields are trimmed of spaces and tabs.
enum CSV {
    /// One record and the 1-based line it starts on.
    struct Record: Equatable {
        var line: Int
        var fields: [String]
    }

    /// A syntax error at a 1-based line.
    struct SyntaxError: Error, Equatable {
        var line: Int
        var message: String
    }

    /// Parses `text` into records, skipping blank lines. O(characters).
    static func parse(_ text: String) throws -> [Record] {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var records = [Record]()
        var fields = [String]()
        var field = [UInt8]()
        var quoted = false  // the current field started with a quote
        var inQuotes = false
        var line = 1
        var recordLine = 1

        func endField() {
            var text = String(decoding: field, as: UTF8.self)
            if !quoted { text = text.trimmingCharacters(in: CharacterSet(charactersIn: " \t")) }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
            quoted = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(line: recordLine, fields: fields)) }
            fields.removeAll()
        }

        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == quote {
                    if i + 1 < bytes.count && bytes[i + 1] == quote {
                        field.append(quote)
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if b == lf || (b == cr && !(i + 1 < bytes.count && bytes[i + 1] == lf)) { line += 1 }
                    field.append(b)
                }
            } else if b == comma {
                endField()
            } else if b == lf || b == cr {
                if b == cr && i + 1 < bytes.count && bytes[i + 1] == lf { i += 1 }
                endRecord()
                line += 1
                recordLine = line
            } else if quoted {
                if b != UInt8(ascii: " ") && b != UInt8(ascii: "\t") {
                    throw SyntaxError(
                        line: line, message: "unexpected text after a closing quote; expected ',' or a line end")
                }
            } else if b == quote {
                guard field.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) else {
                    throw SyntaxError(
                        line: line,
                        message: "a quote inside an unquoted field; quote the whole field and double inner quotes")
                }
                field.removeAll()
                quoted = true
                inQuotes = true
            } else {
                field.append(b)
            }
            i += 1
        }
        if inQuotes {
            throw SyntaxError(line: recordLine, message: "a quoted field is not closed before the end of the file")
        }
        if !field.isEmpty || !fields.isEmpty || quoted { endRecord() }
        return records
    }
}

/// Reads a manifest `path,label[,speaker][,gender][,split]` (header row required, columns in any order, other
/// columns kept as each file's metadata, with `split`).
/// Paths are relative to the manifest's folder unless absolute.
enum CSVManifest {
    /// - Returns: the files (in manifest order) and problems (missing files, repeated paths).
    /// - Throws: ``DatasetError/manifest(path:line:message:)`` for unreadable or malformed manifests.
    static func read(_ manifest: String) throws -> (files: [DatasetFile], problems: [DatasetProblem]) {
        let text: String
        do {
            text = try String(contentsOfFile: manifest, encoding: .utf8)
        } catch {
            throw DatasetError.manifest(path: manifest, line: 0, message: "cannot read the file as UTF-8 text")
        }
        let records: [CSV.Record]
        do {
            records = try CSV.parse(text)
        } catch let error as CSV.SyntaxError {
            throw DatasetError.manifest(path: manifest, line: error.line, message: error.message)
        }
        guard let header = records.first else {
            throw DatasetError.manifest(
                path: manifest, line: 1, message: "empty manifest; expected a header row 'path,label[,speaker]'")
        }
        let names = header.fields.map { $0.lowercased() }
        guard let pathColumn = names.firstIndex(of: "path"), let labelColumn = names.firstIndex(of: "label") else {
            throw DatasetError.manifest(
                path: manifest, line: header.line,
                message: "header '\(header.fields.joined(separator: ","))' lacks a 'path' or 'label' column; "
                    + "expected a header row 'path,label[,speaker]'")
        }
        let speakerColumn = names.firstIndex(of: "speaker")
        let genderColumn = names.firstIndex(of: "gender")
        let known: Set<Int> = Set([pathColumn, labelColumn, speakerColumn, genderColumn].compactMap { $0 })
        let folder = (manifest as NSString).deletingLastPathComponent
        var files = [DatasetFile]()
        var problems = [DatasetProblem]()
        var firstLine = [String: Int]()
        for record in records.dropFirst() {
            guard record.fields.count == header.fields.count else {
                throw DatasetError.manifest(
                    path: manifest, line: record.line,
                    message: "\(record.fields.count) fields; expected \(header.fields.count) like the header "
                        + "'\(header.fields.joined(separator: ","))' (quote fields that contain commas)")
            }
            let relative = record.fields[pathColumn]
            let label = record.fields[labelColumn]
            guard !relative.isEmpty else {
                throw DatasetError.manifest(
                    path: manifest, line: record.line, message: "empty path; expected an audio file path")
            }
            guard !label.isEmpty else {
                throw DatasetError.manifest(path: manifest, line: record.line, message: "empty label for '\(relative)'")
            }
            let speaker = speakerColumn.map { record.fields[$0] }.flatMap { $0.isEmpty ? nil : $0 }
            let path = relative.hasPrefix("/") ? relative : AudioFiles.absolute(folder + "/" + relative)
            if let first = firstLine[path] {
                problems.append(
                    DatasetProblem(
                        path: relative,
                        reason: "line \(record.line) lists the file again (first on line \(first)); ignored"))
                continue
            }
            firstLine[path] = record.line
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                problems.append(
                    DatasetProblem(
                        path: relative, reason: "listed on line \(record.line) of \(manifest) but no such file"))
                continue
            }
            var gender: Gender?
            if let genderColumn, !record.fields[genderColumn].isEmpty {
                let text = record.fields[genderColumn]
                switch text.lowercased() {
                case "female", "f": gender = .female
                case "male", "m": gender = .male
                default:
                    throw DatasetError.manifest(
                        path: manifest, line: record.line,
                        message: "gender '\(text)' for '\(relative)'; expected female or male (f, m) or empty")
                }
            }
            var file = DatasetFile(
                path: path, relativePath: relative, speaker: speaker, givenLabel: label, gender: gender)
            file.line = record.line
            var metadata = [String: String]()
            for (column, name) in header.fields.enumerated() where !known.contains(column) {
                metadata[name] = record.fields[column]
            }
            if !metadata.isEmpty { file.metadata = metadata }
            files.append(file)
        }
        return (files, problems)
    }
}
