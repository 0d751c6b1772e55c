"""`python main.py spec|check|discover|read …`, the same as the `source-stripe` command."""

from source_stripe.run import main

if __name__ == "__main__":
    main()
