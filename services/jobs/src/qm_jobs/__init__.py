"""qMachina jobs service: experiments as managed, cancellable arq jobs with SSE progress."""
