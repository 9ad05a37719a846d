import Testing
import RoostTwitter

@Suite struct HTMLEntitiesTests {
    @Test(arguments: [
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("a &lt;b&gt; c", "a <b> c"),
        ("&quot;hi&quot; &#39;there&#39;", "\"hi\" 'there'"),
        ("&#8217;&#x1F600;&#X41;", "’😀A"),
        ("&amp;lt;", "&lt;"),
        ("AT&T &unknown; &#0; &#xD800; &#99999999; & ;", "AT&T &unknown; &#0; &#xD800; &#99999999; & ;"),
        ("trailing &amp", "trailing &amp"),
        ("no entities", "no entities"),
        ("😀&amp;😀", "😀&😀"),
    ])
    func decodes(input: String, expected: String) {
        #expect(HTMLEntities.decode(input) == expected)
    }
}
