extension QRCode {
    /// The symbol as a standalone SVG element: one path of dark squares on a white background, with a quiet zone
    /// of `quietZone` modules (the standard asks for 4). Safe to embed in a page: it contains no text.
    public func svg(moduleSize: Int = 4, quietZone: Int = 4) -> String {
        let side = (size + 2 * quietZone) * moduleSize
        var path = ""
        for row in 0..<size {
            var column = 0
            while column < size {
                guard isDark(row: row, column: column) else { column += 1; continue }
                var end = column
                while end < size && isDark(row: row, column: end) { end += 1 }
                path += "M\(column + quietZone),\(row + quietZone)h\(end - column)v1h-\(end - column)z"
                column = end
            }
        }
        let units = size + 2 * quietZone
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" role=\"img\" width=\"\(side)\" height=\"\(side)\" "
            + "viewBox=\"0 0 \(units) \(units)\" shape-rendering=\"crispEdges\">"
            + "<rect width=\"\(units)\" height=\"\(units)\" fill=\"#fff\"/><path fill=\"#000\" d=\"\(path)\"/></svg>"
    }
}
