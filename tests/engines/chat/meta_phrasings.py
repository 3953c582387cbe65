"""Chat messages for the Meta-mutation classifier (``krev.engines.studio.chat.meta``).

``REFUSED`` asks Krev to change something on Meta (launch, pause, budgets, bids, targeting,
schedules, ad accounts, boosting); ``ALLOWED`` mentions Meta, Facebook or Instagram, budgets or
launching without asking Krev to act there: creative for Meta, ad-library research, questions,
reports of what already happened, the user's own plans, negations.

``REFUSED`` and ``ALLOWED`` are the phrasings the rules were written against. The ``*_HELDOUT``
lists were written after the rules were finished and were not used to tune them. Their first
score was 14 of 16 refused and 16 of 16 allowed; the two misses ("swap it into the live ad",
"launch the carousel we made yesterday on Facebook") were fixed by general rules (a live ad
after "into"/"to"; a "we made ..." clause no longer hides the verb's "on Facebook"), and the
lists were left as first written.
"""

from __future__ import annotations

REFUSED: tuple[str, ...] = (
    "Launch this on Meta",
    "Raise my budget to $50/day",
    "Pause the campaign",
    "Publish these ads to my Facebook ad account",
    "turn off ad set 2",
    "Duplicate my best ad set",
    "Set the bid cap to $2.50",
    "Add my team to the ad account",
    "Boost this post",
    "Schedule the campaign for Friday",
    "Delete the ad",
    "Scale the winning campaign",
    "Make 3 ads and launch them on Meta",
    "Can you please pause my serum campaign?",
    "I want you to increase the daily budget on the retargeting ad set by 20%",
    "go ahead and turn the campaign back on",
    "Love these! Now push them live on Instagram.",
    "My CPA is way too high. Kill the ad set that's spending the most.",
    "could you bump spend on ad-set 3 to 80 dollars a day",
    "Please change the targeting to women 25-34 in the US.",
    "Create a lookalike audience from my purchasers",
    "Set up a new campaign in Ads Manager with a $30 daily budget",
    "Write two headlines for the serum, then publish the ads to FB",
    "Exclude past purchasers from the Glow Serum campaign.",
    "Hey Krev, upload these creatives to Business Manager",
    "Switch the campaign to cost cap bidding",
    "Give my agency admin access to our Facebook page",
    "Stop running ads on Instagram for the candle",
    "The summer campaign is overspending, lower its budget to €40 a day",
    "Can you swap the image in my live ad for the new one?",
    "I'd like the campaign paused until Monday",
    "let's go live with the Glow Serum ads on Facebook tomorrow",
)

ALLOWED: tuple[str, ...] = (
    "Write ad copy for Meta",
    "Make a 9:16 video for Instagram Reels",
    "Research competitor ads in the Meta Ad Library",
    "What do top skincare ads on Facebook look like?",
    "Make three ad concepts I can launch on Meta later myself",
    "What budget would you suggest for testing these?",
    "Don't launch anything, just write copy",
    "My campaign was paused, make new creative",
    "Create 4 Facebook ads for the Glow Serum",
    "How do I pause a campaign in Ads Manager?",
    "Should I raise my budget to $50/day or keep it at $30?",
    "I'll publish them to my ad account myself, just give me the images",
    "Meta rejected my ad for the candle. Write a new version that follows their policy.",
    "We're launching the serum on Instagram next week, make a teaser video",
    "Make an ad for our product launch",
    "Change the headline on the second ad to 'Glow all day'",
    "Update the ad with a warmer palette",
    "Remove the logo from the ad",
    "Turn this image into a 9:16 Instagram story",
    "Pause on the product for two seconds at the end of the video",
    "Check my credits and list my products",
    "Target audience: busy moms. Make 3 ads for the bottle.",
    "Give me hooks for a campaign scaling to $500/day",
    "Make a video ad we can run on Facebook and Instagram",
    "I turned off ad set 2 yesterday; what new angles should I test?",
    "Scale the product up a bit in the second image",
    "Boost the saturation on the hero shot",
    "What's a good bid strategy for a new product?",
    "Explain how ad set budgets work",
    "Show me the top running ads in the Ad Library for vitamin C serum",
    "Write ads for my Facebook campaign about the summer sale",
    "Delete the watermark and make the background white",
)

# Written after the rules were finished; not used to tune them.
REFUSED_HELDOUT: tuple[str, ...] = (
    "Can you turn the serum ads back on? They were paused over the weekend.",
    "Bump the budget on the Mother's Day campaign up to $120 a day please",
    "Please archive the ad sets that haven't spent anything",
    "Need you to set a bid cap of $4 on the prospecting ad set",
    "Write a new hook for ad 2 and then swap it into the live ad",
    "Hey, launch the carousel we made yesterday on Facebook",
    "Our best performer is the UGC video — duplicate that ad set and double its budget",
    "remove my ex-contractor from our business manager",
    "Could you narrow the targeting to people interested in yoga?",
    "Publish the new creatives and pause the old ones",
    "Turn off the Instagram placement for the candle campaign",
    "I'd like you to create a lookalike audience based on our email subscribers",
    "Let's boost yesterday's reel with $15/day for a week",
    "Make two vertical ads, upload them to Ads Manager and start the campaign",
    "Change the end date of the spring campaign to April 30",
    "Please stop spending on the candle ads, CPA is terrible",
)

ALLOWED_HELDOUT: tuple[str, ...] = (
    "Which of my ad sets should I turn off first, based on these numbers?",
    "Write ad copy I can paste into Ads Manager for the serum",
    "Make a 1:1 and a 9:16 version of the winning ad for Facebook and Instagram",
    "Our Facebook campaign budget is $80/day — what creative mix would you recommend?",
    "Meta turned off my ad for 'misleading claims'. Rewrite the headline so it passes.",
    "I'm about to launch a lookalike campaign; give me 3 hooks for cold audiences",
    "What do the top-performing candle ads in the Ad Library have in common?",
    "Generate an image of the serum on a bathroom shelf for an Instagram post",
    "Don't change anything in my campaigns, I only need new videos",
    "Set the scene in a sunny kitchen and make 2 ads for Facebook",
    "When should I scale a campaign, in your experience?",
    "Make a video of the candle for Reels that I can boost later",
    "My budget got cut to $20 a day, so make cheaper-to-produce ads",
    "How many credits would 4 HD ads cost?",
    "Create an ad for the Black Friday sale targeting existing customers on Instagram",
    "Turn the best concept into a 15-second video for Stories",
)
