from django import forms

from activity.registry import MAX_TEXT_LENGTH


class CommentForm(forms.Form):
    comment = forms.CharField(
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a note for colleagues"}),
    )
