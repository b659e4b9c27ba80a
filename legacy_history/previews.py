"""django-import-export's preview of an import, drawn without inline style.

Its own diff (diff-match-patch's `diff_prettyHtml`) colours insertions and deletions with
`style="background:..."` attributes, which the Content-Security-Policy refuses; this one marks
them with <ins> and <del>, coloured by static/css/admin.css. A resource uses it through
`get_diff_class`.
"""

from typing import Any

from diff_match_patch import diff_match_patch
from django.template.defaultfilters import linebreaksbr
from django.utils.encoding import force_str
from django.utils.html import format_html, format_html_join
from import_export.resources import Diff

TAGS = {diff_match_patch.DIFF_INSERT: "ins", diff_match_patch.DIFF_DELETE: "del"}


class StyleFreeDiff(Diff):
    def as_html(self) -> list[Any]:
        cells = []
        dmp = diff_match_patch()
        for left, right in zip(self.left, self.right, strict=False):
            if left != right and self.new:
                left = ""
            diff = dmp.diff_main(force_str(left), force_str(right))
            dmp.diff_cleanupSemantic(diff)
            cells.append(
                format_html_join(
                    "",
                    "{}",
                    (
                        (
                            format_html("<{0}>{1}</{0}>", TAGS[op], linebreaksbr(text))
                            if op in TAGS
                            else linebreaksbr(text),
                        )
                        for op, text in diff
                    ),
                )
            )
        return cells
