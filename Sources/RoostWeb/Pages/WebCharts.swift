/// Small SVG charts drawn on the server: no script, no external library.
enum WebCharts {
    /// A vertical bar chart of labelled counts, with its numbers in the accessible label and a `<title>` per bar.
    static func bars(_ bins: [Dashboard.Bin], title: String, id: String, width: Int = 560, height: Int = 200,
                     labelEvery: Int = 1) -> String {
        let maxCount = max(1, bins.map(\.count).max() ?? 1)
        let left = 36, bottom = 28, top = 10
        let plotWidth = width - left - 8, plotHeight = height - bottom - top
        let slot = Double(plotWidth) / Double(max(1, bins.count))
        let barWidth = max(2, slot * 0.7)
        let summary = bins.map { (item) -> String in "\(item.label): \(item.count)" }.joined(separator: ", ")
        var svg = """
            <svg class="chart" viewBox="0 0 \(width) \(height)" role="img" aria-labelledby="\(id)-t \(id)-d" preserveAspectRatio="xMidYMid meet">
            <title id="\(id)-t">\(HTML.escape(title))</title><desc id="\(id)-d">\(HTML.escape(summary))</desc>
            <line x1="\(left)" y1="\(top + plotHeight)" x2="\(width - 8)" y2="\(top + plotHeight)" class="axis"/>
            <text x="\(left - 4)" y="\(top + 8)" text-anchor="end" class="tick">\(maxCount)</text>
            <text x="\(left - 4)" y="\(top + plotHeight)" text-anchor="end" class="tick">0</text>
            """
        for (index, bin) in bins.enumerated() {
            let h = Double(plotHeight) * Double(bin.count) / Double(maxCount)
            let x = Double(left) + slot * Double(index) + (slot - barWidth) / 2
            let y = Double(top + plotHeight) - h
            svg += "<rect class=\"bar\" x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(h))\"><title>\(HTML.escape(bin.label)): \(bin.count)</title></rect>"
            if index % labelEvery == 0 {
                svg += "<text class=\"tick\" x=\"\(fmt(x + barWidth / 2))\" y=\"\(height - 10)\" text-anchor=\"middle\">\(HTML.escape(bin.label))</text>"
            }
        }
        return svg + "</svg>"
    }

    /// One horizontal stacked bar of parts (e.g. tickets by status), with a legend.
    static func stacked(_ bins: [Dashboard.Bin], title: String, id: String, width: Int = 560) -> String {
        let total = max(1, bins.map(\.count).reduce(0, +))
        var x = 0.0
        let summary = bins.map { (item) -> String in "\(item.label): \(item.count)" }.joined(separator: ", ")
        var svg = """
            <svg class="chart" viewBox="0 0 \(width) 64" role="img" aria-labelledby="\(id)-t \(id)-d">
            <title id="\(id)-t">\(HTML.escape(title))</title><desc id="\(id)-d">\(HTML.escape(summary))</desc>
            """
        for (index, bin) in bins.enumerated() where bin.count > 0 {
            let w = Double(width) * Double(bin.count) / Double(total)
            svg += "<rect class=\"part part-\(index % 6)\" x=\"\(fmt(x))\" y=\"0\" width=\"\(fmt(w))\" height=\"28\"><title>\(HTML.escape(bin.label)): \(bin.count)</title></rect>"
            x += w
        }
        var legendX = 0
        for (index, bin) in bins.enumerated() {
            svg += "<rect class=\"part part-\(index % 6)\" x=\"\(legendX)\" y=\"40\" width=\"12\" height=\"12\"/>"
            svg += "<text class=\"tick\" x=\"\(legendX + 16)\" y=\"51\">\(HTML.escape(bin.label)) \(bin.count)</text>"
            legendX += 16 + 9 * (bin.label.count + String(bin.count).count + 1) + 12
        }
        return svg + "</svg>"
    }

    static func fmt(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
