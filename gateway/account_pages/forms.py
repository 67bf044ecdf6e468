from django import forms


class NewPasswordForm(forms.Form):
    # As customer_service takes a password: not trimmed, at most 256 characters.
    new_password = forms.CharField(
        label="New password", strip=False, max_length=256, widget=forms.PasswordInput(attrs={"autofocus": True})
    )
    repeated = forms.CharField(label="The new password again", strip=False, max_length=256, widget=forms.PasswordInput)

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("new_password") != cleaned.get("repeated"):
            self.add_error("repeated", "The two passwords differ.")
        return cleaned
