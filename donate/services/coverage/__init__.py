"""Who is covered: allocation, premium rates, holds, the waitlist, preview, status answers and links."""
