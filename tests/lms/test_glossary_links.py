from lms.lib.glossary_links import link_terms


def link(key, text):
    return f'<a href="#{key}">{text}</a>'


def test_it_links_the_first_occurrence_of_each_term_once_per_page():
    linked: list = []
    terms = {"cisgender": "c", "LHBTI+": "l"}
    source = "<p>Cisgender mensen en cisgender zorg; LHBTI+ patiënten.</p>"
    html = link_terms(source, terms, link, linked)
    assert html == (
        '<p><a href="#c">Cisgender</a> mensen en cisgender zorg; '
        '<a href="#l">LHBTI+</a> patiënten.</p>'
    )
    again = link_terms("<p>Cisgender</p>", terms, link, linked)
    assert again == "<p>Cisgender</p>"
    assert linked == ["c", "l"]


def test_it_leaves_headings_links_attributes_and_parts_of_words_alone():
    terms = {"gender": "g"}
    source = (
        '<h2>Gender</h2><p title="gender"><a href="/x">gender</a> transgender '
        "gender-expressie &amp; <strong>gender</strong></p>"
    )
    html = link_terms(source, terms, link, [])
    assert html == (
        '<h2>Gender</h2><p title="gender"><a href="/x">gender</a> transgender '
        'gender-expressie &amp; <strong><a href="#g">gender</a></strong></p>'
    )


def test_it_keeps_markup_byte_for_byte_when_nothing_matches():
    source = '<p class="x">A &eacute; &#233; <br><img src="a.png" alt="b"/> <!-- c --></p>'
    assert link_terms(source, {"zzz": 1}, link, []) == source
